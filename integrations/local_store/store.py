"""The local store: orders kept in the bot's own database (imported from a Shopify export)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, select, text

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
from domain.store import ReceivedLine, StoreReturn
from integrations.local_store import refunds
from storage.db import Database
from storage.models import AddressRow, Base, FulfillmentRow, LineItemRow, OrderRow, TransactionRow

# On SQLite a name query matching more orders than this is answered from the most recently imported ones: the
# agent sees "more matches, be more specific" rather than the database sorting half the table.
NAME_CANDIDATES = 50
PREFIX_KEY_LENGTH = 6  # PostgreSQL's name index holds each word's prefixes up to this length

# plain rows and statements whose columns are read by name
_Row = Row[*tuple[Any, ...]]
_Select = Select[*tuple[Any, ...]]

_SUMMARY_COLUMNS = (
    OrderRow.id,
    OrderRow.name,
    OrderRow.customer_name,
    OrderRow.email,
    OrderRow.created_at,
    OrderRow.total,
    OrderRow.currency,
    OrderRow.financial_status,
    OrderRow.fulfillment_status,
    OrderRow.cancelled_at,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class LocalStore:
    kind = "local"
    name = "the local store"
    notifies_customers = False  # no mail of its own
    keeps_returns = False  # the bot's own return_cases table is the record

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.clock = clock  # stamps the refunds this store records

    def find_orders(self, query: OrderQuery, limit: int) -> list[OrderSummary]:
        stmt = self._search(query, limit)
        if stmt is None:
            return []
        stmt = stmt.order_by(OrderRow.created_at.desc(), OrderRow.id.desc()).limit(limit)
        with self.db.session() as session:
            return [_summary(row) for row in session.execute(stmt)]

    def get_order(self, order_id: str) -> Order | None:
        if not order_id.isdigit():
            return None
        key = int(order_id)
        # plain rows, not ORM objects: building the graph of mapped objects cost more than the SQL
        with self.db.session() as session:
            order = session.execute(select(_table(OrderRow)).where(OrderRow.id == key)).first()
            if order is None:
                return None

            def children(model: type[Base]) -> list[_Row]:
                table = _table(model)
                return list(session.execute(select(table).where(table.c.order_id == key).order_by(table.c.id)))

            return _order(
                order, children(AddressRow), children(LineItemRow), children(FulfillmentRow), children(TransactionRow)
            )

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

    def _search(self, query: OrderQuery, limit: int) -> _Select | None:
        base = select(*_SUMMARY_COLUMNS)
        match query.kind:
            case SearchKind.NUMBER:
                return base.where(OrderRow.number == int(query.value))
            case SearchKind.EMAIL:
                return base.where(OrderRow.email_lower == query.value)
            case SearchKind.TRACKING:
                ids = select(FulfillmentRow.order_id).where(FulfillmentRow.tracking_number == query.value)
                return base.where(OrderRow.id.in_(ids))
            case SearchKind.NAME:
                return base.where(OrderRow.id.in_(self._name_candidates(query.value, limit)))

    def _name_candidates(self, folded: str, limit: int) -> _Select:
        words = folded.split()
        if self.db.dialect == "sqlite":
            # every word is a prefix: "jani berz" finds "janis berzins"; quoting keeps FTS syntax out
            match = " ".join(f'"{w}"*' for w in words)
            return (
                select(text("rowid"))
                .select_from(text("order_name_fts"))
                .where(text("order_name_fts MATCH :match").bindparams(match=match))
                .order_by(text("rowid DESC"))
                .limit(NAME_CANDIDATES)
            )
        # exact keys of the prefix index find the candidates (in the narrow order_names table, see migration
        # 0001); words longer than its keys are then checked as prefixes of the name's words
        keys = " & ".join(w[:PREFIX_KEY_LENGTH] for w in words)  # words are [a-z0-9]+ after folding: safe
        stmt = (
            select(text("order_id"))
            .select_from(text("order_names"))
            .where(text("returnbot_name_prefixes(search_name) @@ to_tsquery('simple', :keys)").bindparams(keys=keys))
        )
        long_words = [w for w in words if len(w) > PREFIX_KEY_LENGTH]
        if long_words:
            prefixes = " & ".join(f"{w}:*" for w in long_words)
            stmt = stmt.where(
                text("to_tsvector('simple'::regconfig, search_name) @@ to_tsquery('simple', :prefixes)").bindparams(
                    prefixes=prefixes
                )
            )
        # sorted by date already: exactly the orders the pick list shows, and no wide order row more
        return stmt.order_by(text("created_at DESC, order_id DESC")).limit(limit)


def _summary(row: _Row) -> OrderSummary:  # a Row of _SUMMARY_COLUMNS
    return OrderSummary(
        ref=OrderRef(str(row.id), row.name),
        customer_name=row.customer_name,
        email=row.email,
        created_at=row.created_at,
        total=Money(row.total, row.currency),
        financial_status=FinancialStatus.parse(row.financial_status),
        fulfillment_status=FulfillmentStatus.parse(row.fulfillment_status),
        cancelled=row.cancelled_at is not None,
    )


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
        locale=row.locale,
    )
