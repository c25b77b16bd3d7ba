"""An Order's own fields as Shopify's Admin GraphQL API returns them: the order node with its money and state, its
addresses, shipping line, line items and product variants. Its fulfillments, payments and customer are built by
fulfillments.py, transactions.py and customers.py; ShopData (data.py) puts them together."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC
from typing import TYPE_CHECKING

from graphql import GraphQLResolveInfo

from domain.money import Money
from domain.orders import Address, FinancialStatus, FulfillmentStatus, LineItem, Order, Transaction
from integrations.shopify.standin.connections import connection_of, list_of
from integrations.shopify.standin.fulfillments import fulfillment_nodes, fulfillment_order_node
from integrations.shopify.standin.transactions import recorded_refunds, transaction_nodes
from integrations.shopify.standin.values import (
    Ids,
    Node,
    decimal_text,
    enum_or_none,
    gateway_handle,
    gid,
    iso,
    money_bag,
    parse_iso,
    split_name,
)

if TYPE_CHECKING:
    from integrations.shopify.standin.data import ShopData

_FINANCIAL = {
    FinancialStatus.PENDING: "PENDING",
    FinancialStatus.AUTHORIZED: "AUTHORIZED",
    FinancialStatus.PAID: "PAID",
    FinancialStatus.PARTIALLY_PAID: "PARTIALLY_PAID",
    FinancialStatus.PARTIALLY_REFUNDED: "PARTIALLY_REFUNDED",
    FinancialStatus.REFUNDED: "REFUNDED",
    FinancialStatus.VOIDED: "VOIDED",
    FinancialStatus.UNKNOWN: "PENDING",
}
_FULFILLMENT = {
    FulfillmentStatus.UNFULFILLED: "UNFULFILLED",
    FulfillmentStatus.PARTIAL: "PARTIALLY_FULFILLED",
    FulfillmentStatus.FULFILLED: "FULFILLED",
    FulfillmentStatus.RESTOCKED: "RESTOCKED",
    FulfillmentStatus.UNKNOWN: "UNFULFILLED",
}
_UNSETTLED = {"PENDING", "AUTHORIZED", "PARTIALLY_PAID"}


def order_node(order: Order, number: int, ids: Ids, data: ShopData, variants: dict[str, Node]) -> Node:
    cur = order.currency
    zero = Money.zero(cur)
    cancelled = order.cancelled_at is not None
    financial = _FINANCIAL[order.financial_status]
    fulfillment = _FULFILLMENT[order.fulfillment_status]
    node: Node = {
        "__typename": "Order",
        "id": gid("Order", number),
        "legacyResourceId": str(number),
        "name": order.name,
        "number": int(re.sub(r"\D", "", order.name) or 0),
        "createdAt": iso(order.created_at),
        "processedAt": iso(order.created_at),
        "cancelledAt": iso(order.cancelled_at),
        "cancelReason": "CUSTOMER" if cancelled else None,
        "email": order.email or None,
        "phone": order.phone or None,
        "note": order.note or None,
        "tags": list(order.tags),
        "customAttributes": [{"__typename": "Attribute", "key": k, "value": v} for k, v in order.note_attributes],
        "currencyCode": cur,
        "presentmentCurrencyCode": cur,
        "customerLocale": order.locale or None,
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": fulfillment,
        "returnStatus": "NO_RETURN",
        "confirmed": True,
        "test": False,
        "edited": False,
        "sourceName": "web",
        "taxesIncluded": True,
        "taxExempt": False,
        "customerAcceptsMarketing": False,
        "discountCodes": [],
        "paymentGatewayNames": [gateway_handle(order.payment_method)] if order.payment_method else [],
        "shippingAddress": _address(order.shipping_address, ids),
        "billingAddress": _address(order.billing_address, ids),
        "shippingLine": _shipping_line(order),
        "_order": order,
        "_created": parse_iso(iso(order.created_at) or ""),
        "_position": number,
    }
    line_items = [_line_item(li, i, order, node, ids, variants) for i, li in enumerate(order.line_items)]
    for li_node, li in zip(line_items, order.line_items, strict=True):
        data.register(li_node)
        data.line_item_gids[(order.ref.id, li.id)] = li_node["id"]
    node["_lineItems"] = line_items
    node["_fulfillments"] = [data.register(f) for f in fulfillment_nodes(order, line_items, ids)]
    node["_transactions"] = [data.register(t) for t in transaction_nodes(order, ids)]
    node["_refunds"] = [data.register(r) for r in recorded_refunds(node, ids)]
    node["_returns"] = []
    node["_fulfillmentOrders"] = [data.register(fulfillment_order_node(node, line_items, ids))]
    node["lineItems"] = connection_of(node, "_lineItems")
    node["fulfillments"] = list_of(node, "_fulfillments")
    node["transactions"] = list_of(node, "_transactions")
    node["refunds"] = list_of(node, "_refunds")
    node["returns"] = connection_of(node, "_returns")
    node["fulfillmentOrders"] = connection_of(node, "_fulfillmentOrders")
    _money_fields(node, order, zero)
    _state_fields(node, order, financial, fulfillment)
    return node


def _money_fields(node: Node, order: Order, zero: Money) -> None:
    cancelled = order.cancelled_at is not None
    if order.transactions:
        received = _sum((t for t in order.transactions if t.kind in ("sale", "capture")), zero)
    else:
        unpaid = order.financial_status in (FinancialStatus.PENDING, FinancialStatus.AUTHORIZED)
        received = zero if unpaid else order.total
    refunded = order.refunded
    current_total = zero if cancelled else _floor_zero(order.total - refunded)
    outstanding = _floor_zero(order.total - received) if node["displayFinancialStatus"] in _UNSETTLED else zero
    quantity = sum(li.quantity for li in order.line_items)
    node.update(
        {
            "subtotalPriceSet": money_bag(order.subtotal),
            "currentSubtotalPriceSet": money_bag(zero if cancelled else _floor_zero(order.subtotal - refunded)),
            "totalShippingPriceSet": money_bag(order.shipping),
            "currentShippingPriceSet": money_bag(order.shipping),
            "totalTaxSet": money_bag(order.taxes),
            "currentTotalTaxSet": money_bag(zero if cancelled else order.taxes),
            "totalDiscountsSet": money_bag(order.discounts),
            "currentTotalDiscountsSet": money_bag(order.discounts),
            "totalPriceSet": money_bag(order.total),
            "originalTotalPriceSet": money_bag(order.total),
            "currentTotalPriceSet": money_bag(current_total),
            "totalRefundedSet": money_bag(refunded),
            "totalRefundedShippingSet": money_bag(zero),
            "totalReceivedSet": money_bag(received),
            "netPaymentSet": money_bag(received - refunded),
            "totalOutstandingSet": money_bag(outstanding),
            "totalCapturableSet": money_bag(zero),
            "totalTipReceivedSet": money_bag(zero),
            "subtotalLineItemsQuantity": quantity,
            "currentSubtotalLineItemsQuantity": 0 if cancelled else quantity,
            "_netPaid": received - refunded,
        }
    )


def _state_fields(node: Node, order: Order, financial: str, fulfillment: str) -> None:
    cancelled = order.cancelled_at is not None
    settled = financial not in _UNSETTLED
    closed = cancelled or (fulfillment == "FULFILLED" and settled)
    moments = [order.created_at, order.cancelled_at, *(f.created_at for f in order.fulfillments)]
    updated = max(m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments if m is not None)
    node.update(
        {
            "closed": closed,
            "closedAt": iso(updated) if closed else None,
            "updatedAt": iso(updated),
            "fullyPaid": financial in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED"),
            "unpaid": financial in ("PENDING", "AUTHORIZED", "VOIDED"),
            "capturable": financial == "AUTHORIZED",
            "canMarkAsPaid": financial in ("PENDING", "PARTIALLY_PAID") and not cancelled,
            "canNotifyCustomer": bool(order.email),
            "requiresShipping": any(li.requires_shipping for li in order.line_items),
            "merchantEditable": not cancelled,
            "refundable": node["_netPaid"].amount > 0,
            "restockable": any(li["refundableQuantity"] > 0 for li in node["_lineItems"]),
        }
    )


def _sum(transactions: Iterable[Transaction], zero: Money) -> Money:
    total = zero
    for t in transactions:
        total = total + t.amount
    return total


def _floor_zero(money: Money) -> Money:
    return money if money.amount > 0 else Money.zero(money.currency)


def _address(address: Address, ids: Ids) -> Node | None:
    if address.is_empty():
        return None
    first, last = split_name(address.name)
    _, number = ids.new("MailingAddress")
    area = ", ".join(p for p in (address.city, address.province, address.zip) if p)

    def formatted(_info: GraphQLResolveInfo, withName: bool = False, withCompany: bool = True) -> list[str]:
        parts = [address.name if withName else "", address.company if withCompany else ""]
        parts += [address.address1, address.address2, f"{address.zip} {address.city}".strip(), address.country]
        return [p for p in parts if p]

    return {
        "__typename": "MailingAddress",
        "id": f"gid://shopify/MailingAddress/{number}?model_name=Address",
        "name": address.name or None,
        "firstName": first,
        "lastName": last,
        "company": address.company or None,
        "address1": address.address1 or None,
        "address2": address.address2 or None,
        "city": address.city or None,
        "zip": address.zip or None,
        "province": address.province or None,
        "provinceCode": address.province or None,
        "countryCodeV2": enum_or_none("CountryCode", address.country.upper()),
        "phone": address.phone or None,
        "formatted": formatted,
        "formattedArea": area or None,
        "coordinatesValidated": False,
        "latitude": None,
        "longitude": None,
    }


def _shipping_line(order: Order) -> Node | None:
    if not order.shipping_method and order.shipping.is_zero():
        return None
    price = money_bag(order.shipping)
    return {
        "__typename": "ShippingLine",
        "id": None,
        "title": order.shipping_method or "Shipping",
        "code": order.shipping_method or None,
        "source": "shopify",
        "custom": False,
        "isRemoved": False,
        "carrierIdentifier": None,
        "originalPriceSet": price,
        "discountedPriceSet": price,
        "currentDiscountedPriceSet": price,
        "taxLines": [],
        "discountAllocations": [],
    }


def _line_item(
    li: LineItem, position: int, order: Order, order_node: Node, ids: Ids, variants: dict[str, Node]
) -> Node:
    line_gid, _ = ids.new("LineItem")
    gone = order.cancelled_at is not None or order.financial_status is FinancialStatus.REFUNDED
    in_fulfillment = any(li.id in f.line_item_ids for f in order.fulfillments)
    shipped = li.fulfillment_status is FulfillmentStatus.FULFILLED or in_fulfillment
    current = 0 if gone else li.quantity
    unfulfilled = 0 if gone or shipped else li.quantity
    title, _, variant_title = li.name.partition(" - ")
    unit = money_bag(li.unit_price)
    total = money_bag(li.total)
    zero = money_bag(Money.zero(li.unit_price.currency))
    return {
        "__typename": "LineItem",
        "id": line_gid,
        "name": li.name,
        "title": title,
        "variantTitle": variant_title or None,
        "sku": li.sku or None,
        "vendor": None,
        "quantity": li.quantity,
        "currentQuantity": current,
        "refundableQuantity": current,
        "unfulfilledQuantity": unfulfilled,
        "nonFulfillableQuantity": li.quantity - current,
        "requiresShipping": li.requires_shipping,
        "taxable": True,
        "isGiftCard": False,
        "merchantEditable": not gone,
        "restockable": True,
        "originalUnitPriceSet": unit,
        "discountedUnitPriceSet": unit,
        "discountedUnitPriceAfterAllDiscountsSet": unit,
        "priceAfterAllDiscountsBeforeTaxesSet": unit,
        "originalTotalSet": total,
        "discountedTotalSet": total,
        "totalDiscountSet": zero,
        "unfulfilledOriginalTotalSet": money_bag(li.unit_price * unfulfilled),
        "unfulfilledDiscountedTotalSet": money_bag(li.unit_price * unfulfilled),
        "taxLines": [],
        "discountAllocations": [],
        "duties": [],
        "customAttributes": [],
        "variant": _variant(li, ids, variants),
        "product": (_variant(li, ids, variants) or {}).get("product"),
        "_position": position,
        "_order": order_node,
    }


def _variant(li: LineItem, ids: Ids, variants: dict[str, Node]) -> Node | None:
    """One variant per SKU across the shop, so a replacement can order "the same thing"."""
    if not li.sku:
        return None
    if li.sku not in variants:
        title, _, variant_title = li.name.partition(" - ")
        product_gid, _ = ids.new("Product")
        variant_gid, number = ids.new("ProductVariant")
        product = {"__typename": "Product", "id": product_gid, "title": title}
        variants[li.sku] = {
            "__typename": "ProductVariant",
            "id": variant_gid,
            "legacyResourceId": str(number),
            "sku": li.sku,
            "title": variant_title or "Default Title",
            "displayName": li.name,
            "price": decimal_text(li.unit_price.amount),
            "product": product,
        }
    return variants[li.sku]
