"""Replacements in the local store: a new order in the bot's database at no cost, and the original's note extended.

The new order takes the next free number, totals 0.00 (every line discounted in full, no shipping charged), is paid,
and carries the replacement tags, among them one with the request's key. `create_replacement` is one write
transaction: it looks for an order with that key tag first, so a repeat (a retry, a second instance) returns the
order made before and finishes what is left (the original's tag and note), never a second order. SQLite's write
sessions run one at a time; on PostgreSQL two new orders racing for one number meet the UNIQUE name, and the loser
takes the next number.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.money import Money
from domain.orders import FinancialStatus, FulfillmentStatus
from domain.replacements import KEY_PREFIX, REPLACED_BY_PREFIX, ReplacementOrder, ReplacementPlan, Variant
from domain.store import ReplacementRefused
from storage.db import Database
from storage.models import AddressRow, LineItemRow, OrderRow

SKU_PREFIX = "sku:"  # a local variant id: the SKU an item was sold under ...
NAME_PREFIX = "name:"  # ... or, without one, its name
_NUMBER_TRIES = 5


def find_variants(db: Database, text: str, limit: int) -> list[Variant]:
    """The items seen in imported orders whose name or SKU contains every word of `text`, each once, at its latest
    price."""
    words = [w.replace("\\", "").replace("%", "").replace("_", "") for w in text.lower().split()]
    matches = [
        or_(func.lower(LineItemRow.name).contains(w), func.lower(LineItemRow.sku).contains(w)) for w in words if w
    ]
    latest = select(func.max(LineItemRow.id)).where(*matches).group_by(LineItemRow.sku, LineItemRow.name).limit(limit)
    stmt = (
        select(LineItemRow.name, LineItemRow.sku, LineItemRow.price, OrderRow.currency)
        .join(OrderRow, OrderRow.id == LineItemRow.order_id)
        .where(LineItemRow.id.in_(latest))
        .order_by(LineItemRow.name, LineItemRow.sku)
    )
    with db.session() as s:
        return [
            Variant(variant_id(sku, name), name, sku, Money(Decimal(price), currency))
            for name, sku, price, currency in s.execute(stmt)
        ]


def get_variant(db: Database, variant: str) -> Variant | None:
    """An item seen in imported orders, at the price it was last sold for."""
    where = _variant_where(variant)
    if where is None:
        return None
    stmt = (
        select(LineItemRow.name, LineItemRow.sku, LineItemRow.price, OrderRow.currency)
        .join(OrderRow, OrderRow.id == LineItemRow.order_id)
        .where(where)
        .order_by(LineItemRow.id.desc())
        .limit(1)
    )
    with db.session() as s:
        row = s.execute(stmt).first()
    if row is None:
        return None
    return Variant(variant_id(row.sku, row.name), row.name, row.sku, Money(Decimal(row.price), row.currency))


def variant_id(sku: str, name: str) -> str:
    return SKU_PREFIX + sku if sku else NAME_PREFIX + name


def create_replacement(db: Database, plan: ReplacementPlan, *, now: datetime) -> ReplacementOrder:
    for _ in range(_NUMBER_TRIES):
        try:
            with db.session(write=True) as s:
                return _replace(s, plan, now)
        except IntegrityError:
            continue  # another new order took the number between our look and our insert: take the next
    raise ReplacementRefused("Could not number the replacement order: too many orders are being made at once.")


def _replace(s: Session, plan: ReplacementPlan, now: datetime) -> ReplacementOrder:
    original = _original(s, plan.original_id)
    # made on or after the day the request was: the date index narrows the look to the newest orders
    since = datetime.fromisoformat(plan.created_on).replace(tzinfo=UTC) if plan.created_on else datetime.min
    made = s.scalars(
        select(OrderRow).where(OrderRow.created_at >= since, OrderRow.tags.contains(KEY_PREFIX + plan.key))
    ).first()
    if made is None:
        made = _new_order(s, original, plan, now)
    _mark_original(original, plan, made.name, now)
    return ReplacementOrder(str(made.id), made.name)


def _original(s: Session, order_id: str) -> OrderRow:
    original = None
    if order_id.isdigit():
        original = s.scalars(select(OrderRow).where(OrderRow.id == int(order_id)).with_for_update()).first()
    if original is None:
        raise ReplacementRefused(f"Order {order_id} is not in the local store any more.")
    return original


def _new_order(s: Session, original: OrderRow, plan: ReplacementPlan, now: datetime) -> OrderRow:
    items = {str(li.id): li for li in original.line_items}
    number = (s.scalar(select(func.max(OrderRow.number))) or 0) + 1
    order = OrderRow(
        name=f"#{number}", number=number, source_id="", email=plan.email, email_lower=plan.email.lower(),
        phone=plan.address.phone, customer_name=original.customer_name, search_name=original.search_name,
        currency=plan.currency, subtotal=Decimal(0), shipping=Decimal(0), taxes=Decimal(0),
        discount=plan.list_value.amount, total=Decimal(0), refunded=Decimal(0), outstanding=Decimal(0),
        financial_status=FinancialStatus.PAID.value, fulfillment_status=FulfillmentStatus.UNFULFILLED.value,
        created_at=now, paid_at=now, shipping_method=plan.shipping_title, payment_method="",
        tags=", ".join(plan.tags), note=plan.note, locale=original.locale, content_hash="", updated_at=now,
    )  # fmt: skip
    a = plan.address
    order.addresses.append(
        AddressRow(
            kind="shipping", name=a.name, company=a.company, address1=a.address1, address2=a.address2, city=a.city,
            zip=a.zip, province=a.province, country=a.country, phone=a.phone,
        )
    )  # fmt: skip
    for position, line in enumerate(plan.lines, start=1):
        source = items.get(line.line_item_id)
        if source is None:
            raise ReplacementRefused(f"Order {original.name} has no line {line.line_item_id} any more.")
        name, sku = (source.name, source.sku) if not line.variant_id else (line.title, line.sku)
        if line.variant_id and not _known(s, line.variant_id):
            raise ReplacementRefused(f"{line.title} is not sold any more: pick another item.", f"lines.{position - 1}")
        price = line.unit_price.amount
        order.line_items.append(
            LineItemRow(
                position=position, name=name, sku=sku, quantity=line.quantity, price=price, compare_at_price=None,
                discount=price * line.quantity, requires_shipping=True, taxable=source.taxable,
                fulfillment_status="", vendor=source.vendor,
            )
        )  # fmt: skip
    s.add(order)
    s.flush()
    return order


def _known(s: Session, variant: str) -> bool:
    where = _variant_where(variant)
    return where is not None and s.scalar(select(LineItemRow.id).where(where).limit(1)) is not None


def _variant_where(variant: str) -> ColumnElement[bool] | None:
    if variant.startswith(SKU_PREFIX) and len(variant) > len(SKU_PREFIX):
        return LineItemRow.sku == variant[len(SKU_PREFIX) :]
    if variant.startswith(NAME_PREFIX):
        return (LineItemRow.name == variant[len(NAME_PREFIX) :]) & (LineItemRow.sku == "")
    return None


def _mark_original(original: OrderRow, plan: ReplacementPlan, name: str, now: datetime) -> None:
    """The tag and the note line, each once: appended, never overwriting what the note said."""
    tags = [t.strip() for t in original.tags.split(",") if t.strip()]
    tag = REPLACED_BY_PREFIX + name.lstrip("#")
    line = plan.original_note(name)
    changed = False
    if tag not in tags:
        original.tags = ", ".join([*tags, tag])
        changed = True
    if line not in original.note:
        original.note = f"{original.note}\n{line}" if original.note else line
        changed = True
    if changed:
        original.updated_at = now
