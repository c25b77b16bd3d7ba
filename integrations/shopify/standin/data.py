"""The bot's own Order values turned into what Shopify's Admin GraphQL API would return for them.

Objects are plain dicts keyed by schema field names (graphql-core's default resolver reads dict keys). A value
that is a callable is called as `value(info, **arguments)`: connections and lists with `first` are such
callables, reading the private `_…` lists at call time, so a mutation can change an order by editing those lists
(`order["_refunds"].append(...)`). Keys starting with `_` are never served (no schema field starts with one).
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from graphql import GraphQLError, GraphQLResolveInfo, get_named_type

from domain.money import Money
from domain.orders import Address, FinancialStatus, Fulfillment, FulfillmentStatus, LineItem, Order, Transaction
from integrations.shopify.standin.schema import load_schema

Node = dict[str, Any]


class ShopContext(Protocol):
    """What resolvers expect in `info.context` (the fake's per-request context)."""

    def orders_connection(self, info: GraphQLResolveInfo, orders: Sequence[Node], **args: Any) -> Node: ...


ORDER_ID_BASE = 1_000_000
LOCATION_GID = "gid://shopify/Location/1"
_ID_BASES = {
    "Customer": 2_000_000,
    "LineItem": 3_000_000,
    "Fulfillment": 4_000_000,
    "FulfillmentLineItem": 5_000_000,
    "OrderTransaction": 6_000_000,
    "Refund": 7_000_000,
    "FulfillmentOrder": 8_000_000,
    "FulfillmentOrderLineItem": 9_000_000,
    "ProductVariant": 10_000_000,
    "Product": 11_000_000,
    "MailingAddress": 12_000_000,
}

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
_TRANSACTION_KINDS = {"sale", "capture", "authorization", "refund", "void", "change"}
_UNSETTLED = {"PENDING", "AUTHORIZED", "PARTIALLY_PAID"}


# --- scalars ----------------------------------------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """Shopify's Decimal scalar as it comes over the wire: "289.0", "29.9", "0.0" (not "289.00")."""
    if value == 0:
        return "0.0"
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def money_v2(money: Money) -> Node:
    return {"__typename": "MoneyV2", "amount": decimal_text(money.amount), "currencyCode": money.currency}


def money_bag(money: Money) -> Node:
    """Shop and presentment money are the same: the fake's shops sell in one currency per order."""
    return {"__typename": "MoneyBag", "shopMoney": money_v2(money), "presentmentMoney": money_v2(money)}


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def legacy_id(global_id: str) -> int | None:
    tail = global_id.rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def fold(text: str) -> str:
    """Case- and accent-insensitive words, the way Shopify's search matches them."""
    special = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "Ł": "l"})
    decomposed = unicodedata.normalize("NFKD", text.translate(special))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def _enum_or_none(enum_name: str, value: str) -> str | None:
    enum = load_schema().type_map[enum_name]
    return value if value in enum.values else None  # type: ignore[attr-defined]


# --- connections ------------------------------------------------------------------------------------------------

Key = tuple[Any, ...]  # a node's sort key, also what its cursor carries
SortKey = Callable[[Node], Key]


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return tuple(json.loads(base64.urlsafe_b64decode(padded.encode())))
    except (ValueError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}.") from exc


def paginate(
    items: Sequence[Node],
    info: GraphQLResolveInfo,
    *,
    key: SortKey,
    descending: bool = False,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Node:
    """A Relay connection over items already in presentation order; cursors carry the sort key."""
    after_key = decode_cursor(after) if after is not None else None
    before_key = decode_cursor(before) if before is not None else None

    def in_window(k: Key) -> bool:
        if after_key is not None and not (k < after_key if descending else k > after_key):
            return False
        return before_key is None or (k > before_key if descending else k < before_key)

    window = [(i, n) for i, n in enumerate(items) if in_window(key(n))]
    if first is not None:
        window = window[: max(first, 0)]
    if last is not None:
        window = window[max(len(window) - last, 0) :]
    page = [n for _, n in window]
    start = window[0][0] if window else 0
    end = window[-1][0] + 1 if window else 0
    cursors = [encode_cursor(key(n)) for n in page]
    return {
        "__typename": get_named_type(info.return_type).name,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, page, strict=True)],
        "nodes": list(page),
        "pageInfo": {
            "__typename": "PageInfo",
            "hasNextPage": bool(page) and end < len(items),
            "hasPreviousPage": bool(page) and start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def by_position(node: Node) -> Key:
    return (node["_position"],)


def connection_of(owner: Node, private: str, key: SortKey = by_position) -> Callable[..., Node]:
    """A connection field over `owner[private]`, read when the field is resolved."""

    def resolve(info: GraphQLResolveInfo, reverse: bool = False, **args: Any) -> Node:
        items = sorted(owner[private], key=key, reverse=reverse)
        return paginate(items, info, key=key, descending=reverse, **_page_args(args))

    return resolve


def list_of(owner: Node, private: str) -> Callable[..., list[Node]]:
    """A list field with an optional `first` (Order.fulfillments, Order.transactions, …)."""

    def resolve(_info: GraphQLResolveInfo, first: int | None = None, **_args: Any) -> list[Node]:
        items = list(owner[private])
        return items if first is None else items[:first]

    return resolve


def _page_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: args.get(k) for k in ("first", "after", "last", "before")}


# --- building the shop ------------------------------------------------------------------------------------------


class _Ids:
    def __init__(self) -> None:
        self._next = dict(_ID_BASES)

    def new(self, kind: str) -> tuple[str, int]:
        self._next[kind] += 1
        return gid(kind, self._next[kind]), self._next[kind]


@dataclass
class ShopData:
    """Everything the fake shop holds; `add` turns one more Order into Shopify objects."""

    orders: list[Node] = field(default_factory=list)
    customers: list[Node] = field(default_factory=list)
    nodes: dict[str, Node] = field(default_factory=dict)  # every object with an id, by GID
    order_gids: dict[str, str] = field(default_factory=dict)  # Order.ref.id -> GID
    line_item_gids: dict[tuple[str, str], str] = field(default_factory=dict)  # (Order.ref.id, LineItem.id) -> GID
    _ids: _Ids = field(default_factory=_Ids)
    _variants: dict[str, Node] = field(default_factory=dict)
    _customers_by_key: dict[str, Node] = field(default_factory=dict)

    def register(self, node: Node) -> Node:
        self.nodes[node["id"]] = node
        return node

    def add(self, order: Order) -> Node:
        number = int(order.extra.get("shopify_id") or ORDER_ID_BASE + len(self.orders))
        if gid("Order", number) in self.nodes:
            raise ValueError(f"two orders with the Shopify id {number}")
        node = _order_node(order, number, self._ids, self, self._variants)
        self.orders.append(self.register(node))
        self.order_gids[order.ref.id] = node["id"]
        self._attach_customer(node)
        return node

    def _attach_customer(self, node: Node) -> None:
        key = customer_key(node["_order"])
        node["customer"] = None
        if key is None:
            return
        customer = self._customers_by_key.get(key)
        if customer is None:
            customer = self.register(_customer(node, self._ids))
            self._customers_by_key[key] = customer
            self.customers.append(customer)
        else:
            _add_customer_order(customer, node)
        node["customer"] = customer


def build_shop_data(orders: Sequence[Order]) -> ShopData:
    data = ShopData()
    for order in orders:
        data.add(order)
    return data


def _order_node(order: Order, number: int, ids: _Ids, data: ShopData, variants: dict[str, Node]) -> Node:
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
        "paymentGatewayNames": [_gateway(order.payment_method)] if order.payment_method else [],
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
    node["_fulfillments"] = [data.register(f) for f in _fulfillments(order, line_items, ids)]
    node["_transactions"] = [data.register(t) for t in _transactions(order, ids)]
    node["_refunds"] = [data.register(r) for r in _refunds(node, ids)]
    node["_returns"] = []
    node["_fulfillmentOrders"] = [data.register(_fulfillment_order(node, line_items, ids))]
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


def _gateway(payment_method: str) -> str:
    return fold(payment_method).replace(" ", "_") or "manual"


def _address(address: Address, ids: _Ids) -> Node | None:
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
        "countryCodeV2": _enum_or_none("CountryCode", address.country.upper()),
        "phone": address.phone or None,
        "formatted": formatted,
        "formattedArea": area or None,
        "coordinatesValidated": False,
        "latitude": None,
        "longitude": None,
    }


def split_name(name: str) -> tuple[str | None, str | None]:
    """First and last name as Shopify keeps them: the last word is the last name."""
    name = name.strip()
    if not name:
        return None, None
    if " " not in name:
        return name, None
    first, last = name.rsplit(" ", 1)
    return first, last


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
    li: LineItem, position: int, order: Order, order_node: Node, ids: _Ids, variants: dict[str, Node]
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


def _variant(li: LineItem, ids: _Ids, variants: dict[str, Node]) -> Node | None:
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


def _fulfillments(order: Order, line_items: list[Node], ids: _Ids) -> list[Node]:
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


def _fulfillment(order: Order, position: int, f: Fulfillment | None, covered: list[Node], ids: _Ids) -> Node:
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


def _fulfillment_line_item(line_item: Node, position: int, ids: _Ids) -> Node:
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


def _transactions(order: Order, ids: _Ids) -> list[Node]:
    transactions = list(order.transactions) or _implied_transactions(order)
    nodes: list[Node] = []
    for t in transactions:
        kind = t.kind.lower() if t.kind.lower() in _TRANSACTION_KINDS else "sale"
        number_gid, number = ids.new("OrderTransaction")
        processed = iso(t.created_at or order.cancelled_at or order.created_at)
        node: Node = {
            "__typename": "OrderTransaction",
            "id": number_gid,
            "kind": kind.upper(),
            "status": "SUCCESS",
            "test": False,
            "gateway": _gateway(t.gateway or order.payment_method),
            "formattedGateway": t.gateway or order.payment_method or "Manual",
            "processedAt": processed,
            "createdAt": processed,
            "amountSet": money_bag(t.amount),
            "maximumRefundableV2": None,
            "parentTransaction": None,
            "paymentId": f"pay_{number}",
            "manuallyCapturable": False,
            "multiCapturable": False,
            "errorCode": None,
            "authorizationExpiresAt": None,
            "fees": [],
            # an export does not date its refunds: such a refund is served without a date
            "_dated": t.created_at is not None,
        }
        nodes.append(node)
    _link_refunds(nodes)
    return nodes


def _implied_transactions(order: Order) -> list[Transaction]:
    """A hand-built order without transactions gets the ones its financial status implies."""
    paid = order.financial_status in (
        FinancialStatus.PAID,
        FinancialStatus.PARTIALLY_REFUNDED,
        FinancialStatus.REFUNDED,
    )
    implied = [Transaction("sale", order.total, order.payment_method, order.created_at)] if paid else []
    if paid and not order.refunded.is_zero():
        implied.append(Transaction("refund", order.refunded, order.payment_method, order.cancelled_at))
    return implied


def _link_refunds(nodes: list[Node]) -> None:
    sales = [n for n in nodes if n["kind"] in ("SALE", "CAPTURE")]
    remaining = {n["id"]: Decimal(n["amountSet"]["shopMoney"]["amount"]) for n in sales}
    for n in nodes:
        if n["kind"] == "REFUND" and sales:
            parent = next((s for s in sales if s["gateway"] == n["gateway"]), sales[0])
            n["parentTransaction"] = parent
            remaining[parent["id"]] -= Decimal(n["amountSet"]["shopMoney"]["amount"])
    for s in sales:
        currency = s["amountSet"]["shopMoney"]["currencyCode"]
        s["maximumRefundableV2"] = money_v2(Money(max(remaining[s["id"]], Decimal(0)), currency))


def _refunds(order_node: Node, ids: _Ids) -> list[Node]:
    refunds = []
    for position, t in enumerate(n for n in order_node["_transactions"] if n["kind"] == "REFUND"):
        refund_gid, number = ids.new("Refund")
        refund: Node = {
            "__typename": "Refund",
            "id": refund_gid,
            "legacyResourceId": str(number),
            "createdAt": t["processedAt"] if t["_dated"] else None,
            "processedAt": t["processedAt"],
            "updatedAt": t["processedAt"],
            "note": None,
            "totalRefundedSet": t["amountSet"],
            "order": order_node,
            "return": None,
            "staffMember": None,
            "duties": [],
            "_position": position,
            "_transactions": [t],
            "_refundLineItems": [],
            "_refundShippingLines": [],
            "_orderAdjustments": [],
        }
        for name in ("transactions", "refundLineItems", "refundShippingLines", "orderAdjustments"):
            refund[name] = connection_of(refund, f"_{name}")
        refunds.append(refund)
    return refunds


def _fulfillment_order(order_node: Node, line_items: list[Node], ids: _Ids) -> Node:
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


# --- customers --------------------------------------------------------------------------------------------------


def customer_key(order: Order) -> str | None:
    """One Shopify customer per e-mail address, or per name for orders without one."""
    if order.email:
        return order.email.strip().lower()
    folded = fold(order.customer_name)
    return f"name:{folded}" if folded else None


def _customer(order_node: Node, ids: _Ids) -> Node:
    order: Order = order_node["_order"]
    customer_gid, number = ids.new("Customer")
    name = order.customer_name.strip()
    first, last = split_name(name)
    node: Node = {
        "__typename": "Customer",
        "id": customer_gid,
        "legacyResourceId": str(number),
        "displayName": name or order.email,
        "firstName": first,
        "lastName": last,
        "defaultEmailAddress": (
            {"__typename": "CustomerEmailAddress", "emailAddress": order.email, "marketingState": "NOT_SUBSCRIBED"}
            if order.email
            else None
        ),
        "defaultPhoneNumber": (
            {"__typename": "CustomerPhoneNumber", "phoneNumber": order.phone, "marketingState": "NOT_SUBSCRIBED"}
            if order.phone
            else None
        ),
        "createdAt": order_node["createdAt"],
        "locale": order.locale or "en",
        "note": None,
        "tags": [],
        "state": "DISABLED",
        "verifiedEmail": bool(order.email),
        "taxExempt": False,
        "canDelete": False,
        "dataSaleOptOut": False,
        "defaultAddress": order_node["shippingAddress"],
        "_orders": [],
        "_position": number,
    }
    node["orders"] = lambda info, **args: info.context.orders_connection(info, node["_orders"], **args)
    _add_customer_order(node, order_node)
    return node


def _add_customer_order(customer: Node, order_node: Node) -> None:
    customer["_orders"].append(order_node)
    orders = customer["_orders"]
    currency = orders[0]["currencyCode"]
    spent = Money.zero(currency)
    for n in orders:
        if n["currencyCode"] == currency:
            spent = spent + n["_order"].total
    customer["numberOfOrders"] = str(len(orders))
    customer["amountSpent"] = money_v2(spent)
    customer["updatedAt"] = max(n["updatedAt"] for n in orders)
    customer["lastOrder"] = max(orders, key=lambda n: n["createdAt"])
    customer["addresses"] = [a for a in {id(n["shippingAddress"]): n["shippingAddress"] for n in orders}.values() if a]
