"""Returns on the fake Shopify: `returnableFulfillments`, `returnCreate` and `reverseDeliveryCreateWithShipping`;
after the label `return`, `returnProcess`, `returnCancel` and `returnClose` (standin/return_receipt.py).

    with FakeShopify(demo_orders()) as fake:
        install_returns(fake)

Returns live on their order (`order["_returns"]`, served as `Order.returns`), so everything that reads an order sees
them at once: returnable quantities shrink by what open returns hold, `Order.returnStatus` becomes IN_PROGRESS, and a
reverse delivery keeps the tracking and label it was given (plus `_notifyCustomer` for tests to check).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from graphql import GraphQLResolveInfo

from integrations.shopify.standin.connections import by_position, connection_of, paginate
from integrations.shopify.standin.return_receipt import install_receipts
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.standin.values import Node, gid, iso, legacy_id

# Returns that no longer hold their items (Shopify gives declined and cancelled quantities back)
_RELEASED = frozenset({"DECLINED", "CANCELED"})
_ID_BASES = {
    "Return": 20_000_000,
    "ReturnLineItem": 21_000_000,
    "ReverseFulfillmentOrder": 22_000_000,
    "ReverseFulfillmentOrderLineItem": 23_000_000,
    "ReverseDelivery": 24_000_000,
    "ReverseDeliveryLineItem": 25_000_000,
}


def install_returns(fake: FakeShopify) -> None:
    """Serve returns on `fake`: the returnable-fulfillments query and the two mutations that create a return."""
    counters = {kind: itertools.count(base + 1) for kind, base in _ID_BASES.items()}

    def new_id(kind: str) -> str:
        return gid(kind, next(counters[kind]))

    fake.queries["returnableFulfillments"] = _returnable_fulfillments
    fake.mutations["returnCreate"] = lambda args, _directives: _return_create(fake, new_id, args["returnInput"])
    fake.mutations["reverseDeliveryCreateWithShipping"] = lambda args, _directives: _reverse_delivery_create(
        fake, new_id, args
    )
    install_receipts(fake)


# --- what can still be returned ---------------------------------------------------------------------------------


def fulfillment_line_items(order: Node) -> Iterator[tuple[Node, Node]]:
    """(fulfillment, fulfillment line item) pairs of an order, in fulfillment order."""
    for fulfillment in order["_fulfillments"]:
        for item in fulfillment["_fulfillmentLineItems"]:
            yield fulfillment, item


def returned_quantity(order: Node, fulfillment_line_item_id: str) -> int:
    """How much of a fulfillment line item returns hold now."""
    return sum(
        line["quantity"]
        for ret in order["_returns"]
        if ret["status"] not in _RELEASED
        for line in ret["_returnLineItems"]
        if line["fulfillmentLineItem"]["id"] == fulfillment_line_item_id
    )


def returnable_quantity(order: Node, item: Node) -> int:
    # a cancelled or refunded line (currentQuantity 0) cannot come back, however much of it shipped
    shipped = min(int(item["quantity"] or 0), int(item["lineItem"]["currentQuantity"]))
    return max(shipped - returned_quantity(order, item["id"]), 0)


def _returnable_fulfillments(info: GraphQLResolveInfo, orderId: str, **page: Any) -> Node:
    order = info.context.node(orderId) if orderId.startswith("gid://shopify/Order/") else None
    returnable = [] if order is None else _returnable_of(order)
    return paginate(
        returnable,
        info,
        key=by_position,
        first=page.get("first"),
        after=page.get("after"),
        last=page.get("last"),
        before=page.get("before"),
    )


def _returnable_of(order: Node) -> list[Node]:
    """One ReturnableFulfillment per fulfillment with something left to return, built as of now."""
    result = []
    for fulfillment in order["_fulfillments"]:
        lines = [
            {"__typename": "ReturnableFulfillmentLineItem", "quantity": left, "fulfillmentLineItem": item,
             "_position": item["_position"]}
            for item in fulfillment["_fulfillmentLineItems"]
            if (left := returnable_quantity(order, item)) > 0
        ]  # fmt: skip
        if not lines:
            continue
        node: Node = {
            "__typename": "ReturnableFulfillment",
            "id": gid("ReturnableFulfillment", legacy_id(fulfillment["id"]) or 0),
            "fulfillment": fulfillment,
            "_lines": lines,
            "_position": fulfillment["_position"],
        }
        node["returnableFulfillmentLineItems"] = connection_of(node, "_lines")
        result.append(node)
    return result


# --- returnCreate -----------------------------------------------------------------------------------------------


def _user_error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def _return_create(fake: FakeShopify, new_id: Callable[[str], str], given: dict[str, Any]) -> dict[str, Any]:
    order = fake.find(given["orderId"])
    if order is None or order.get("__typename") != "Order":
        return {
            "return": None,
            "userErrors": [_user_error(["returnInput", "orderId"], "Order does not exist.", "NOT_FOUND")],
        }
    errors = _check_return_lines(order, given["returnLineItems"])
    if errors:
        return {"return": None, "userErrors": errors}
    ret = _new_return(fake, new_id, order, given["returnLineItems"])
    order["_returns"].append(ret)
    order["returnStatus"] = "IN_PROGRESS"
    return {"return": ret, "userErrors": []}


def _check_return_lines(order: Node, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shopify's checks: at least one line, lines of this order, positive quantities within what is returnable."""
    if not lines:
        return [_user_error(["returnInput", "returnLineItems"], "Return must have at least one line item.", "BLANK")]
    items = {item["id"]: item for _, item in fulfillment_line_items(order)}
    asked: dict[str, int] = {}
    errors = []
    for index, line in enumerate(lines):
        field = ["returnInput", "returnLineItems", str(index)]
        item = items.get(line["fulfillmentLineItemId"])
        if item is None:
            errors.append(
                _user_error([*field, "fulfillmentLineItemId"], "Fulfillment line item does not exist.", "NOT_FOUND")
            )
            continue
        if line["quantity"] < 1:
            errors.append(_user_error([*field, "quantity"], "Quantity must be greater than 0.", "GREATER_THAN"))
            continue
        asked[item["id"]] = asked.get(item["id"], 0) + line["quantity"]
        if asked[item["id"]] > returnable_quantity(order, item):
            errors.append(_user_error([*field, "quantity"], "Quantity is not available for return.", "INVALID"))
    return errors


def _new_return(fake: FakeShopify, new_id: Callable[[str], str], order: Node, lines: list[dict[str, Any]]) -> Node:
    now = iso(fake.now())
    ret: Node = {
        "__typename": "Return",
        "id": new_id("Return"),
        "name": f"{order['name']}-R{len(order['_returns']) + 1}",
        "status": "OPEN",
        "createdAt": now,
        "requestApprovedAt": now,
        "closedAt": None,
        "decline": None,
        "order": order,
        "totalQuantity": sum(line["quantity"] for line in lines),
        "returnShippingFees": [],
        "_position": len(order["_returns"]),
    }
    ret["_returnLineItems"] = [_return_line_item(fake, new_id, line, i) for i, line in enumerate(lines)]
    ret["_reverseFulfillmentOrders"] = [_reverse_fulfillment_order(fake, new_id, order, ret)]
    ret["returnLineItems"] = connection_of(ret, "_returnLineItems")
    ret["reverseFulfillmentOrders"] = connection_of(ret, "_reverseFulfillmentOrders")
    return fake.data.register(ret)


def _return_line_item(fake: FakeShopify, new_id: Callable[[str], str], line: dict[str, Any], position: int) -> Node:
    quantity = line["quantity"]
    return fake.data.register(
        {
            "__typename": "ReturnLineItem",
            "id": new_id("ReturnLineItem"),
            "quantity": quantity,
            "fulfillmentLineItem": _fulfillment_line_item(fake, line["fulfillmentLineItemId"]),
            "returnReasonNote": line.get("returnReasonNote") or "",
            "returnReasonDefinition": None,
            "customerNote": None,
            "processedQuantity": 0,
            "unprocessedQuantity": quantity,
            "processableQuantity": quantity,
            "refundableQuantity": quantity,
            "refundedQuantity": 0,
            "restockingFee": None,
            "_position": position,
        }
    )


def _fulfillment_line_item(fake: FakeShopify, item_id: str) -> Node:
    # fulfillment line items are not registered as nodes: find the one by walking the orders' fulfillments
    for order in fake.data.orders:
        for _, item in fulfillment_line_items(order):
            if item["id"] == item_id:
                return item
    raise KeyError(item_id)


def _reverse_fulfillment_order(fake: FakeShopify, new_id: Callable[[str], str], order: Node, ret: Node) -> Node:
    rfo: Node = {
        "__typename": "ReverseFulfillmentOrder",
        "id": new_id("ReverseFulfillmentOrder"),
        "status": "OPEN",
        "order": order,
        "thirdPartyConfirmation": None,
        "_return": ret,
        "_position": 0,
        "_reverseDeliveries": [],
        "_lineItems": [
            fake.data.register(
                {
                    "__typename": "ReverseFulfillmentOrderLineItem",
                    "id": new_id("ReverseFulfillmentOrderLineItem"),
                    "totalQuantity": line["quantity"],
                    "fulfillmentLineItem": line["fulfillmentLineItem"],
                    "dispositions": [],
                    "_position": position,
                }
            )
            for position, line in enumerate(ret["_returnLineItems"])
        ],
    }
    rfo["lineItems"] = connection_of(rfo, "_lineItems")
    rfo["reverseDeliveries"] = connection_of(rfo, "_reverseDeliveries")
    return fake.data.register(rfo)


# --- reverseDeliveryCreateWithShipping --------------------------------------------------------------------------


def _reverse_delivery_create(fake: FakeShopify, new_id: Callable[[str], str], args: dict[str, Any]) -> dict[str, Any]:
    rfo = fake.find(args["reverseFulfillmentOrderId"])
    if rfo is None or rfo.get("__typename") != "ReverseFulfillmentOrder":
        error = _user_error(["reverseFulfillmentOrderId"], "Reverse fulfillment order does not exist.", "NOT_FOUND")
        return {"reverseDelivery": None, "userErrors": [error]}
    lines, errors = _delivery_lines(rfo, args.get("reverseDeliveryLineItems") or [])
    if errors:
        return {"reverseDelivery": None, "userErrors": errors}
    delivery = _new_delivery(fake, new_id, rfo, lines, args)
    rfo["_reverseDeliveries"].append(delivery)
    return {"reverseDelivery": delivery, "userErrors": []}


def _delivery_lines(rfo: Node, given: list[dict[str, Any]]) -> tuple[list[tuple[Node, int]], list[dict[str, Any]]]:
    """(reverse fulfillment order line item, quantity) pairs; an empty list means every line in full."""
    if not given:
        return [(line, line["totalQuantity"]) for line in rfo["_lineItems"]], []
    by_id = {line["id"]: line for line in rfo["_lineItems"]}
    lines, errors = [], []
    for index, item in enumerate(given):
        line = by_id.get(item["reverseFulfillmentOrderLineItemId"])
        if line is None or not 0 < item["quantity"] <= line["totalQuantity"]:
            field = ["reverseDeliveryLineItems", str(index)]
            errors.append(_user_error(field, "Reverse fulfillment order line item is not valid.", "INVALID"))
        else:
            lines.append((line, item["quantity"]))
    return lines, errors


def _new_delivery(
    fake: FakeShopify, new_id: Callable[[str], str], rfo: Node, lines: list[tuple[Node, int]], args: dict[str, Any]
) -> Node:
    tracking, label = args.get("trackingInput"), args.get("labelInput")
    now = iso(fake.now())
    delivery: Node = {
        "__typename": "ReverseDelivery",
        "id": new_id("ReverseDelivery"),
        "reverseFulfillmentOrder": rfo,
        "deliverable": {
            "__typename": "ReverseDeliveryShippingDeliverable",
            "tracking": (
                {
                    "__typename": "ReverseDeliveryTrackingV2",
                    "carrierName": None,
                    "number": tracking.get("number"),
                    "url": tracking.get("url"),
                }
                if tracking
                else None
            ),
            "label": (
                {
                    "__typename": "ReverseDeliveryLabelV2",
                    "publicFileUrl": label["fileUrl"],
                    "createdAt": now,
                    "updatedAt": now,
                }
                if label
                else None
            ),
        },
        # Shopify's default is to e-mail the customer: what a test wants to see was turned off
        "_notifyCustomer": args.get("notifyCustomer", True) is not False,
        "_position": len(rfo["_reverseDeliveries"]),
        "_reverseDeliveryLineItems": [
            {
                "__typename": "ReverseDeliveryLineItem",
                "id": new_id("ReverseDeliveryLineItem"),
                "quantity": quantity,
                "reverseFulfillmentOrderLineItem": line,
                "dispositions": [],
                "_position": position,
            }
            for position, (line, quantity) in enumerate(lines)
        ],
    }
    delivery["reverseDeliveryLineItems"] = connection_of(delivery, "_reverseDeliveryLineItems")
    return fake.data.register(delivery)
