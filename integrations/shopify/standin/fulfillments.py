"""An order's fulfillments (parcels sent, with their tracking) and its fulfillment order (what is left to send),
as Shopify's Admin GraphQL API would return them for one of the bot's Order values."""

from __future__ import annotations

from domain.orders import Fulfillment, FulfillmentStatus, Order
from integrations.shopify.standin.connections import connection_of, list_of
from integrations.shopify.standin.values import LOCATION_GID, Ids, Node, iso


def fulfillment_nodes(order: Order, line_items: list[Node], ids: Ids) -> list[Node]:
    by_id = {li.id: node for li, node in zip(order.line_items, line_items, strict=True)}
    fulfilled = [li.id for li in order.line_items if li.fulfillment_status is FulfillmentStatus.FULFILLED]
    nodes = []
    for position, f in enumerate(order.fulfillments):
        covered_ids = [i for i in f.line_item_ids if i in by_id] or (fulfilled if len(order.fulfillments) == 1 else [])
        nodes.append(_fulfillment(order, position, f, [by_id[i] for i in covered_ids], ids))
    # a shop fulfils what needs no tracking too (gift cards, downloads): the export has no row for that
    covered = {li["id"] for n in nodes for li in (x["lineItem"] for x in n["_fulfillmentLineItems"])}
    untracked = [by_id[i] for i in fulfilled if by_id[i]["id"] not in covered]
    if untracked:
        nodes.append(_fulfillment(order, len(nodes), None, untracked, ids))
    return nodes


def shipment_node(order_node: Node, parcel: Fulfillment, ids: Ids) -> Node:
    """One more fulfillment of every line of the order, with the parcel's tracking: what the shop's admin records
    when the warehouse ships an order (a replacement, say) after the bot has read it."""
    return _fulfillment(order_node["_order"], len(order_node["_fulfillments"]), parcel, order_node["_lineItems"], ids)


def _fulfillment(order: Order, position: int, f: Fulfillment | None, covered: list[Node], ids: Ids) -> Node:
    fulfillment_gid, _ = ids.new("Fulfillment")
    created = iso((f.created_at if f else None) or order.created_at)
    node: Node = {
        "__typename": "Fulfillment",
        "id": fulfillment_gid,
        "name": f"{order.name}.{position + 1}",
        "status": "SUCCESS",
        "displayStatus": "FULFILLED",
        "createdAt": created,
        "updatedAt": created,
        "inTransitAt": None,
        "deliveredAt": None,
        "estimatedDeliveryAt": None,
        "requiresShipping": True,
        "totalQuantity": sum(li["quantity"] for li in covered),
        "location": {"__typename": "Location", "id": LOCATION_GID, "name": "Demo warehouse"},
        "_trackingInfo": [_tracking(f)] if f and f.tracking_number else [],
        "_fulfillmentLineItems": [_fulfillment_line_item(li, i, ids) for i, li in enumerate(covered)],
        "_position": position,
    }
    node["trackingInfo"] = list_of(node, "_trackingInfo")
    node["fulfillmentLineItems"] = connection_of(node, "_fulfillmentLineItems")
    return node


def _tracking(f: Fulfillment) -> Node:
    return {
        "__typename": "FulfillmentTrackingInfo",
        "company": f.tracking_company or None,
        "number": f.tracking_number or None,
        "url": f.tracking_url or None,
    }


def _fulfillment_line_item(line_item: Node, position: int, ids: Ids) -> Node:
    node_gid, _ = ids.new("FulfillmentLineItem")
    return {
        "__typename": "FulfillmentLineItem",
        "id": node_gid,
        "quantity": line_item["quantity"],
        "lineItem": line_item,
        "originalTotalSet": line_item["originalTotalSet"],
        "discountedTotalSet": line_item["discountedTotalSet"],
        "_position": position,
    }


def fulfillment_order_node(order_node: Node, line_items: list[Node], ids: Ids) -> Node:
    fo_gid, _ = ids.new("FulfillmentOrder")
    order: Order = order_node["_order"]
    remaining = sum(li["unfulfilledQuantity"] for li in line_items)
    if order.cancelled_at is not None:
        status = "CANCELLED"
    elif remaining == 0:
        status = "CLOSED"
    else:
        status = "IN_PROGRESS" if remaining < sum(li["quantity"] for li in line_items) else "OPEN"
    node: Node = {
        "__typename": "FulfillmentOrder",
        "id": fo_gid,
        "status": status,
        "requestStatus": "UNSUBMITTED",
        "createdAt": order_node["createdAt"],
        "updatedAt": order_node["createdAt"],
        "orderId": order_node["id"],
        "orderName": order_node["name"],
        "orderProcessedAt": order_node["processedAt"],
        "order": order_node,
        "fulfillmentHolds": [],
        "supportedActions": [],
        "assignedLocation": {
            "__typename": "FulfillmentOrderAssignedLocation",
            "name": "Demo warehouse",
            "countryCode": "FI",
            "location": {"__typename": "Location", "id": LOCATION_GID, "name": "Demo warehouse"},
        },
        "_position": 0,
        "_lineItems": [],
    }
    for position, li in enumerate(line_items):
        line_gid, _ = ids.new("FulfillmentOrderLineItem")
        node["_lineItems"].append(
            {
                "__typename": "FulfillmentOrderLineItem",
                "id": line_gid,
                "totalQuantity": li["currentQuantity"],
                "remainingQuantity": li["unfulfilledQuantity"],
                "lineItem": li,
                "productTitle": li["title"],
                "variantTitle": li["variantTitle"],
                "sku": li["sku"],
                "requiresShipping": li["requiresShipping"],
                "warnings": [],
                "_position": position,
            }
        )
    node["lineItems"] = connection_of(node, "_lineItems")
    return node
