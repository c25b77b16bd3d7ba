"""The bot's database: the local store's orders, and the bot's own records.

Every table is created by the Alembic migrations in `storage/migrations`; the models here are what the
code reads and writes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import Amount, UTCDateTime


class Base(DeclarativeBase):
    pass


# --- local store -----------------------------------------------------------------------------------


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[int | None] = mapped_column(Integer, index=True)
    source_id: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    email_lower: Mapped[str] = mapped_column(String(320), default="", index=True)
    phone: Mapped[str] = mapped_column(String(64), default="")
    customer_name: Mapped[str] = mapped_column(String(255), default="")
    # customer name folded to lowercase ASCII words: what the name index is built on
    search_name: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Amount())
    shipping: Mapped[Decimal] = mapped_column(Amount())
    taxes: Mapped[Decimal] = mapped_column(Amount())
    discount: Mapped[Decimal] = mapped_column(Amount())
    total: Mapped[Decimal] = mapped_column(Amount())
    refunded: Mapped[Decimal] = mapped_column(Amount())
    outstanding: Mapped[Decimal] = mapped_column(Amount())
    financial_status: Mapped[str] = mapped_column(String(32))
    fulfillment_status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipping_method: Mapped[str] = mapped_column(String(255), default="")
    payment_method: Mapped[str] = mapped_column(String(255), default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(16), default="")
    # sha256 of the export rows the order came from: re-importing an unchanged order is a no-op
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    addresses: Mapped[list[AddressRow]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True
    )
    line_items: Mapped[list[LineItemRow]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True, order_by="LineItemRow.position"
    )
    fulfillments: Mapped[list[FulfillmentRow]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True, order_by="FulfillmentRow.id"
    )
    transactions: Mapped[list[TransactionRow]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True, order_by="TransactionRow.id"
    )

    __table_args__ = (Index("ix_orders_created_at", "created_at"),)


class AddressRow(Base):
    __tablename__ = "order_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "shipping" | "billing"
    name: Mapped[str] = mapped_column(String(255), default="")
    company: Mapped[str] = mapped_column(String(255), default="")
    address1: Mapped[str] = mapped_column(String(255), default="")
    address2: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(255), default="")
    zip: Mapped[str] = mapped_column(String(32), default="")
    province: Mapped[str] = mapped_column(String(255), default="")
    country: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")

    order: Mapped[OrderRow] = relationship(back_populates="addresses")

    __table_args__ = (UniqueConstraint("order_id", "kind"),)


class FulfillmentRow(Base):
    __tablename__ = "fulfillments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # upper case, no spaces: what lookups compare against
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)
    tracking_company: Mapped[str] = mapped_column(String(128), default="")
    tracking_url: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order: Mapped[OrderRow] = relationship(back_populates="fulfillments")


class LineItemRow(Base):
    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(512))
    sku: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Amount())
    compare_at_price: Mapped[Decimal | None] = mapped_column(Amount())
    discount: Mapped[Decimal] = mapped_column(Amount())
    requires_shipping: Mapped[bool] = mapped_column(default=True)
    taxable: Mapped[bool] = mapped_column(default=True)
    fulfillment_status: Mapped[str] = mapped_column(String(32), default="")
    vendor: Mapped[str] = mapped_column(String(255), default="")
    fulfillment_id: Mapped[int | None] = mapped_column(ForeignKey("fulfillments.id", ondelete="SET NULL"))

    order: Mapped[OrderRow] = relationship(back_populates="line_items")


class TransactionRow(Base):
    """Money that moved on an order: the sale, and refunds so far (from the export, later from the bot)."""

    __tablename__ = "order_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # sale | refund
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    gateway: Mapped[str] = mapped_column(String(128), default="")
    reference: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order: Mapped[OrderRow] = relationship(back_populates="transactions")


# --- the bot's own records -------------------------------------------------------------------------


class OperationRow(Base):
    """One side effect outside the database (label, refund, e-mail, ...), at most once per key."""

    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | failed
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))  # Slack user id, or "system"
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128), index=True)  # e.g. "order:#1001"
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
