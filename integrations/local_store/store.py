"""The local store: orders kept in the bot's own database (imported from a Shopify export)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, Table

from domain.cancellations import CancelPlan, CancelProgress
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
    Transaction,
)
from domain.refunds import RefundChoice, RefundPlan, RefundQuote, StoreRefund
from domain.replacements import ReplacementOrder, ReplacementPlan, Variant
from domain.sales import SalesPage
from domain.store import ReceivedLine, StoreReturn
from integrations.local_store import cancellation, detail, refunds, replacements, sales, search
from integrations.local_store.note_attributes import parse_note_attributes
from storage.db import Database
from storage.models import Base

# plain rows whose columns are read by name
_Row = Row[*tuple[Any, ...]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class LocalStore:
    kind = "local"
    name = "the local store"
    notifies_customers = False  # no mail of its own
    keeps_returns = False  # the bot's own return_cases table is the record
    refunds_to_store_credit = False  # no store credit kept here

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock  # stamps the refunds this store records

    def find_orders(self, query: OrderQuery, limit: int) -> list[OrderSummary]:
        """The newest matches, in one round trip (integrations/local_store/search.py)."""
        return search.find_orders(self.db, query, limit)

    def count_orders(self, query: OrderQuery, cap: int) -> int | None:
        return search.count_orders(self.db, query, cap)

    def get_order(self, order_id: str) -> Order | None:
        if not order_id.isdigit():
            return None
        # plain rows, not ORM objects: building the graph of mapped objects cost more than the SQL; in one
        # round trip (integrations/local_store/detail.py)
        found = detail.read_order(self.db, int(order_id))
        if found is None:
            return None
        order, (addresses, line_items, fulfillments, transactions) = found
        return _order(order, addresses, line_items, fulfillments, transactions)

    def visibility_note(self) -> str | None:
        return None

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
        """Nothing to write: the bot's own `return_cases` table is the local record of a return."""
        return ""

    def process_return(self, order_id: str, return_id: str, lines: Sequence[ReceivedLine], *, note: str) -> None:
        """Nothing to write: the receipt is on the bot's return case (stock is not kept here)."""

    def read_returns(self, return_ids: Sequence[str]) -> dict[str, StoreReturn]:
        return {}  # no returns of its own

    def cancel_return(self, return_id: str) -> None:
        """Nothing to end: the bot's return case is the only record."""

    def refund_quote(self, order_id: str, choice: RefundChoice) -> RefundQuote:
        return refunds.refund_quote(self.db, order_id, choice)

    def create_refund(self, plan: RefundPlan, *, idempotency_key: str) -> StoreRefund:
        return refunds.create_refund(self.db, plan, idempotency_key=idempotency_key, now=self.clock())

    def find_variants(self, text: str, limit: int) -> list[Variant]:
        """The items seen in imported orders (integrations/local_store/replacements.py)."""
        return replacements.find_variants(self.db, text, limit)

    def get_variant(self, variant_id: str) -> Variant | None:
        return replacements.get_variant(self.db, variant_id)

    def create_replacement(self, plan: ReplacementPlan) -> ReplacementOrder:
        """A new order at no cost, once per key (integrations/local_store/replacements.py)."""
        return replacements.create_replacement(self.db, plan, now=self.clock())

    def sales_page(self, start: datetime, end: datetime, after: str | None) -> SalesPage:
        return sales.sales_page(self.db, start, end, after)

    def cancel_order(self, plan: CancelPlan) -> CancelProgress:
        """Cancelled at once, in one transaction (integrations/local_store/cancellation.py)."""
        return cancellation.cancel_order(self.db, plan, now=self.clock())

    def cancel_progress(self, order_id: str, job_id: str) -> CancelProgress:
        return cancellation.cancel_progress(self.db, order_id)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _address(rows: list[_Row], kind: str) -> Address:
    for a in rows:
        if a.kind == kind:
            return Address(
                name=a.name, company=a.company, address1=a.address1, address2=a.address2, city=a.city,
                zip=a.zip, province=a.province, country=a.country, phone=a.phone,
            )  # fmt: skip
    return Address()


def _line_item(li: _Row, currency: str) -> LineItem:
    return LineItem(
        id=str(li.id),
        name=li.name,
        sku=li.sku,
        quantity=li.quantity,
        unit_price=Money(li.price, currency),
        requires_shipping=li.requires_shipping,
        fulfillment_status=FulfillmentStatus.parse(li.fulfillment_status),
    )


def _order(
    row: _Row, addresses: list[_Row], items: list[_Row], fulfillments: list[_Row], transactions: list[_Row]
) -> Order:
    cur = row.currency
    items = sorted(items, key=lambda li: li.position)
    return Order(
        ref=OrderRef(str(row.id), row.name),
        created_at=row.created_at,
        customer_name=row.customer_name,
        email=row.email,
        phone=row.phone,
        currency=cur,
        subtotal=Money(row.subtotal, cur),
        shipping=Money(row.shipping, cur),
        taxes=Money(row.taxes, cur),
        discounts=Money(row.discount, cur),
        total=Money(row.total, cur),
        refunded=Money(row.refunded, cur),
        financial_status=FinancialStatus.parse(row.financial_status),
        fulfillment_status=FulfillmentStatus.parse(row.fulfillment_status),
        shipping_address=_address(addresses, "shipping"),
        billing_address=_address(addresses, "billing"),
        line_items=tuple(_line_item(li, cur) for li in items),
        fulfillments=tuple(
            Fulfillment(
                id=str(f.id),
                tracking_number=f.tracking_number,
                tracking_company=f.tracking_company,
                tracking_url=f.tracking_url,
                created_at=f.created_at,
                line_item_ids=tuple(str(li.id) for li in items if li.fulfillment_id == f.id),
            )
            for f in fulfillments
        ),
        transactions=tuple(
            Transaction(kind=t.kind, amount=Money(t.amount, t.currency), gateway=t.gateway, created_at=t.created_at)
            for t in transactions
        ),
        cancelled_at=row.cancelled_at,
        shipping_method=row.shipping_method,
        payment_method=row.payment_method,
        tags=tuple(t.strip() for t in row.tags.split(",") if t.strip()),
        note=row.note,
        note_attributes=parse_note_attributes(row.note_attributes),
        locale=row.locale,
    )
