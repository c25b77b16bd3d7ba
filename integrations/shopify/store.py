"""ShopifyStore: the store protocol over the Admin GraphQL API."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.cancellations import CancelPlan, CancelProgress, RiskLevel
from domain.money import Money
from domain.orders import (
    Address,
    FinancialStatus,
    Fulfillment,
    FulfillmentStatus,
    LineItem,
    Order,
    OrderQuery,
    OrderRef,
    OrderSummary,
    SearchKind,
    Transaction,
)
from domain.refunds import RefundChoice, RefundPlan, RefundQuote, StoreRefund
from domain.replacements import ReplacementOrder, ReplacementPlan, Variant
from domain.sales import SalesPage
from domain.store import ReceivedLine, StoreError, StoreReturn
from domain.text import words_start
from integrations.shopify import cancellation, replacements, sales
from integrations.shopify.cancellation import JobPolling
from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document
from integrations.shopify.errors import ShopifyNotFound
from integrations.shopify.refunds import create_refund, quote_variables, read_quote
from integrations.shopify.return_receipt import cancel_return, process_return, read_returns
from integrations.shopify.returns import create_return

CUSTOMER_CANDIDATES = 10
COUNTS_KEPT = 256  # the counts of the latest searches, for the pick list that follows a search

_FULFILLMENT = {
    "UNFULFILLED": FulfillmentStatus.UNFULFILLED,
    "PARTIALLY_FULFILLED": FulfillmentStatus.PARTIAL,
    "FULFILLED": FulfillmentStatus.FULFILLED,
    "RESTOCKED": FulfillmentStatus.RESTOCKED,
    # not shipped yet, in one way or another
    "PENDING_FULFILLMENT": FulfillmentStatus.UNFULFILLED,
    "OPEN": FulfillmentStatus.UNFULFILLED,
    "IN_PROGRESS": FulfillmentStatus.UNFULFILLED,
    "ON_HOLD": FulfillmentStatus.UNFULFILLED,
    "SCHEDULED": FulfillmentStatus.UNFULFILLED,
    "REQUEST_DECLINED": FulfillmentStatus.UNFULFILLED,
}


class ShopifyStore:
    kind = "shopify"
    notifies_customers = True  # Shopify's refund notification
    keeps_returns = True  # a return with our tracking, in the Shopify admin
    refunds_to_store_credit = True  # orderCancel's storeCreditRefund

    def __init__(self, client: ShopifyClient, shop: str) -> None:
        self.client = client
        self.name = f"Shopify ({shop})"
        self._scopes: frozenset[str] | None = None
        self._scopes_lock = threading.Lock()
        self.job_polling = JobPolling()  # how long a cancellation's job is waited for (tests pass their own time)
        # OrderSearch counts its matches in the same request; count_orders, asked right after, answers from here
        self._counts: OrderedDict[OrderQuery, int] = OrderedDict()
        self._counts_lock = threading.Lock()

    # -- lookups ----------------------------------------------------------------------------------------

    def find_orders(self, query: OrderQuery, limit: int) -> list[OrderSummary]:
        search = self._search_string(query)
        if search is None:
            return []
        data = self.client.query(document("OrderSearch"), {"query": search, "first": limit})
        self._keep_count(query, int(data["ordersCount"]["count"]))
        return [_summary(node, query) for node in data["orders"]["nodes"]]

    def count_orders(self, query: OrderQuery, cap: int) -> int | None:
        with self._counts_lock:
            count = self._counts.get(query)
        if count is None:  # not searched lately (or pushed out by many searches since): search again, for its count
            self.find_orders(query, 1)
            with self._counts_lock:
                count = self._counts.get(query)
        return None if count is None else min(count, cap)

    def get_order(self, order_id: str) -> Order | None:
        if not order_id.startswith("gid://shopify/Order/"):
            return None
        # one read: the facts, the first page of line items, shipments and refunds (OrderDetail)
        detail = self.client.query(document("OrderDetail"), {"id": order_id})["order"]
        if detail is None:
            return None
        line_items = self._line_items(order_id, detail["lineItems"])
        return _order(detail, line_items, detail)

    def create_return(
        self,
        order_id: str,
        items: Sequence[tuple[str, int, str]],
        *,
        tracking_number: str,
        tracking_url: str,
        label_url: str | None,
        notify_customer: bool,
    ) -> str:
        """An OPEN Shopify return and a reverse delivery with the tracking (integrations/shopify/returns.py)."""
        return create_return(
            self.client, order_id, items,
            tracking_number=tracking_number, tracking_url=tracking_url, label_url=label_url,
            notify_customer=notify_customer,
        )  # fmt: skip

    def process_return(self, order_id: str, return_id: str, lines: Sequence[ReceivedLine], *, note: str) -> None:
        """returnProcess with dispositions, read before retry (integrations/shopify/return_receipt.py)."""
        process_return(self.client, return_id, lines, note=note)

    def read_returns(self, return_ids: Sequence[str]) -> dict[str, StoreReturn]:
        return read_returns(self.client, return_ids)

    def cancel_return(self, return_id: str) -> None:
        cancel_return(self.client, return_id)

    def refund_quote(self, order_id: str, choice: RefundChoice) -> RefundQuote:
        """What `choice` would refund now, as Shopify's suggestedRefund says (integrations/shopify/refunds.py)."""
        order = None
        if order_id.startswith("gid://shopify/Order/"):
            order = self.client.query(document("SuggestedRefund"), quote_variables(order_id, choice))["order"]
        if order is None:
            raise ShopifyNotFound(f"Shopify could not find order {order_id} to refund: it may have been deleted.")
        line_items = self._line_items(order_id, order["lineItems"], refundable=True)
        return read_quote(order, line_items, _fulfilled_quantities(order))

    def create_refund(self, plan: RefundPlan, *, idempotency_key: str) -> StoreRefund:
        """refundCreate under the key, exactly as planned (integrations/shopify/refunds.py)."""
        return create_refund(self.client, plan, idempotency_key=idempotency_key)

    def cancel_order(self, plan: CancelPlan) -> CancelProgress:
        """orderCancel, read before it is sent, its job waited for (integrations/shopify/cancellation.py)."""
        return cancellation.cancel_order(self.client, plan, self.job_polling)

    def cancel_progress(self, order_id: str, job_id: str) -> CancelProgress:
        return cancellation.cancel_progress(self.client, order_id, job_id)

    def find_variants(self, text: str, limit: int) -> list[Variant]:
        """productVariants(query:) (integrations/shopify/replacements.py)."""
        return replacements.find_variants(self.client, text, limit)

    def get_variant(self, variant_id: str) -> Variant | None:
        return replacements.get_variant(self.client, variant_id)

    def create_replacement(self, plan: ReplacementPlan) -> ReplacementOrder:
        """A draft at no cost, completed, the original tagged and noted; once per key (replacements.py)."""
        return replacements.create_replacement(self.client, plan)

    def sales_page(self, start: datetime, end: datetime, after: str | None) -> SalesPage:
        return sales.sales_page(self.client, start, end, after)

    def visibility_note(self) -> str | None:
        """Why an order may exist although no search finds it."""
        if "read_all_orders" in self.granted_scopes():
            return None
        return (
            "Shopify shows this app only the last 60 days of orders (it lacks the `read_all_orders` access "
            "scope), so an older order may exist."
        )

    def granted_scopes(self) -> frozenset[str]:
        with self._scopes_lock:
            if self._scopes is None:
                data = self.client.query(document("ShopInfo"))
                handles = (data.get("currentAppInstallation") or {}).get("accessScopes") or []
                self._scopes = frozenset(s["handle"] for s in handles)
            return self._scopes

    def _line_items(
        self, order_id: str, first_page: dict[str, Any], *, refundable: bool = False
    ) -> list[dict[str, Any]]:
        """Every line item of an order: `first_page` (a lineItems connection) and the pages after it. `refundable`
        also reads what is left to refund of each, as the first page of a refund quote does."""
        line_items = list(first_page["nodes"])
        page = first_page["pageInfo"]
        while page["hasNextPage"]:
            variables: dict[str, Any] = {"id": order_id, "after": page["endCursor"]}
            if refundable:
                variables["refundable"] = True
            more = self.client.query(document("OrderLineItemsPage"), variables)["order"]
            if more is None:
                break
            line_items += more["lineItems"]["nodes"]
            page = more["lineItems"]["pageInfo"]
        return line_items

    def _search_string(self, query: OrderQuery) -> str | None:
        match query.kind:
            case SearchKind.NUMBER:
                return f"name:#{query.value}"
            case SearchKind.EMAIL:
                return f'email:"{_escape(query.value)}"'
            case SearchKind.NAME:
                # the customers of that name (every order of theirs, named or not), and orders whose own
                # addresses carry it (a gift's recipient): the default search reads the shipping name too
                ids = self._customer_ids(query.value)
                return " OR ".join([*(f"customer_id:{i}" for i in ids), f"({query.value})"])
            case SearchKind.PHONE:
                # orders(query:) has no phone filter: a number is a customer's (customers' `phone:` is E.164)
                ids = self._customer_ids(f"phone:{query.value}")
                return " OR ".join(f"customer_id:{i}" for i in ids) if ids else None
            case SearchKind.TRACKING:
                raise StoreError(
                    "Shopify's order search cannot look up tracking numbers. "
                    "Search by order number, e-mail or customer name instead."
                )

    def _keep_count(self, query: OrderQuery, count: int) -> None:
        with self._counts_lock:
            self._counts[query] = count
            self._counts.move_to_end(query)
            while len(self._counts) > COUNTS_KEPT:
                self._counts.popitem(last=False)

    def _customer_ids(self, search: str) -> list[str]:
        # names and phone numbers go through customers: orders(query:) has no filter for either
        data = self.client.query(document("CustomerSearch"), {"query": search, "first": CUSTOMER_CANDIDATES})
        return [node["legacyResourceId"] for node in data["customers"]["nodes"]]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _money(bag: dict[str, Any] | None, currency: str) -> Money:
    shop = (bag or {}).get("shopMoney") or {}
    return Money(Decimal(str(shop.get("amount", "0"))), shop.get("currencyCode") or currency)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _financial(value: str | None) -> FinancialStatus:
    return FinancialStatus.parse(value)


def _fulfillment(value: str | None) -> FulfillmentStatus:
    return _FULFILLMENT.get(value or "", FulfillmentStatus.UNKNOWN)


def _risk(risk: dict[str, Any] | None) -> RiskLevel | None:
    """The highest of the order's risk assessments (None: Shopify has assessed nothing)."""
    levels = [str(a.get("riskLevel") or "") for a in (risk or {}).get("assessments") or []]
    return RiskLevel.highest(levels) if levels else None


def _summary(node: dict[str, Any], query: OrderQuery) -> OrderSummary:
    total = _money(node["totalPriceSet"], "XXX")
    created = _when(node["createdAt"])
    assert created is not None
    customer_name = (node.get("customer") or {}).get("displayName") or ""
    ship_name = (node.get("shippingAddress") or {}).get("name") or ""
    gift = (
        query.kind is SearchKind.NAME
        and not words_start(query.value, customer_name)
        and words_start(query.value, ship_name)
    )
    return OrderSummary(
        ref=OrderRef(node["id"], node["name"]),
        ship_to=ship_name if gift else "",
        customer_name=customer_name,
        email=node.get("email") or "",
        created_at=created,
        total=total,
        financial_status=_financial(node.get("displayFinancialStatus")),
        fulfillment_status=_fulfillment(node.get("displayFulfillmentStatus")),
        cancelled=node.get("cancelledAt") is not None,
    )


def _address(value: dict[str, Any] | None) -> Address:
    a = value or {}
    return Address(
        name=a.get("name") or "", company=a.get("company") or "", address1=a.get("address1") or "",
        address2=a.get("address2") or "", city=a.get("city") or "", zip=a.get("zip") or "",
        province=a.get("provinceCode") or "", country=a.get("countryCodeV2") or "", phone=a.get("phone") or "",
    )  # fmt: skip


def _line_item(node: dict[str, Any], currency: str, fulfilled: int) -> LineItem:
    quantity = int(node["quantity"])
    # from the fulfillments themselves: unfulfilledQuantity is 0 on a cancelled order that never shipped
    status = (
        FulfillmentStatus.UNFULFILLED
        if fulfilled <= 0
        else FulfillmentStatus.FULFILLED
        if fulfilled >= quantity
        else FulfillmentStatus.PARTIAL
    )
    return LineItem(
        id=node["id"],
        name=node["name"],
        sku=node.get("sku") or "",
        quantity=quantity,
        unit_price=_money(node["originalUnitPriceSet"], currency),
        requires_shipping=bool(node.get("requiresShipping", True)),
        fulfillment_status=status,
    )


def _fulfilled_quantities(shipments: dict[str, Any]) -> dict[str, int]:
    shipped: dict[str, int] = {}
    for f in shipments.get("fulfillments") or []:
        for n in (f.get("fulfillmentLineItems") or {}).get("nodes", []):
            shipped[n["lineItem"]["id"]] = shipped.get(n["lineItem"]["id"], 0) + int(n.get("quantity") or 0)
    return shipped


def _fulfillments(shipments: dict[str, Any]) -> tuple[Fulfillment, ...]:
    result = []
    for f in shipments.get("fulfillments") or []:
        items = tuple(n["lineItem"]["id"] for n in (f.get("fulfillmentLineItems") or {}).get("nodes", []))
        # shipments without a tracking number (gift cards, downloads) show in the items' status alone
        for info in f.get("trackingInfo") or []:
            result.append(
                Fulfillment(
                    id=f["id"],
                    tracking_number=(info.get("number") or "").replace(" ", "").upper(),
                    tracking_company=info.get("company") or "",
                    tracking_url=info.get("url") or "",
                    created_at=_when(f.get("createdAt")),
                    line_item_ids=items,
                )
            )
    return tuple(result)


def _order(detail: dict[str, Any], line_items: list[dict[str, Any]], shipments: dict[str, Any]) -> Order:
    currency = detail["currencyCode"]
    customer = detail.get("customer") or {}
    shipping = _address(detail.get("shippingAddress"))
    created = _when(detail["createdAt"])
    assert created is not None
    shipped = _fulfilled_quantities(shipments)
    refunds = tuple(
        Transaction(kind="refund", amount=_money(r["totalRefundedSet"], currency), created_at=_when(r.get("createdAt")))
        for r in shipments.get("refunds") or []
    )
    return Order(
        ref=OrderRef(detail["id"], detail["name"]),
        created_at=created,
        customer_name=customer.get("displayName") or shipping.name,
        email=detail.get("email") or (customer.get("defaultEmailAddress") or {}).get("emailAddress") or "",
        phone=detail.get("phone") or "",
        currency=currency,
        subtotal=_money(detail["subtotalPriceSet"], currency),
        shipping=_money(detail["totalShippingPriceSet"], currency),
        taxes=_money(detail["totalTaxSet"], currency),
        discounts=_money(detail["totalDiscountsSet"], currency),
        total=_money(detail["totalPriceSet"], currency),
        refunded=_money(detail["totalRefundedSet"], currency),
        financial_status=_financial(detail.get("displayFinancialStatus")),
        fulfillment_status=_fulfillment(detail.get("displayFulfillmentStatus")),
        shipping_address=shipping,
        billing_address=_address(detail.get("billingAddress")),
        line_items=tuple(_line_item(n, currency, shipped.get(n["id"], 0)) for n in line_items),
        fulfillments=_fulfillments(shipments),
        transactions=refunds,
        cancelled_at=_when(detail.get("cancelledAt")),
        shipping_method=(detail.get("shippingLine") or {}).get("title") or "",
        tags=tuple(detail.get("tags") or ()),
        note=detail.get("note") or "",
        note_attributes=tuple((a["key"], a.get("value") or "") for a in detail.get("customAttributes") or ()),
        locale=detail.get("customerLocale") or "",
        risk_level=_risk(detail.get("risk")),
    )
