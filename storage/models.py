"""The bot's database: the local store's orders, and the bot's own records.

Every table is created by the Alembic migrations in `storage/migrations`; the models here are what the
code reads and writes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
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
    # the shipping name folded the same way when it is another person's (a gift's recipient), else ""
    ship_search_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # the order's phone numbers (Phone, Billing Phone, Shipping Phone) in E.164 without the +, space-separated
    phone_keys: Mapped[str] = mapped_column(String(64), default="", server_default="")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Amount())
    shipping: Mapped[Decimal] = mapped_column(Amount())
    taxes: Mapped[Decimal] = mapped_column(Amount())
    discount: Mapped[Decimal] = mapped_column(Amount())
    total: Mapped[Decimal] = mapped_column(Amount())
    refunded: Mapped[Decimal] = mapped_column(Amount())
    outstanding: Mapped[Decimal] = mapped_column(Amount())
    # shipping given back by the bot's refunds (the export's refunds are order-level only: they never count here)
    refunded_shipping: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0), server_default="0")
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
    # the export's "Note Attributes" as written there: one "key: value" a line
    note_attributes: Mapped[str] = mapped_column(Text, default="", server_default="")
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
    # units refunded by the bot; the Shopify export has only order-level refunds, so imports start at 0
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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
    # set on refunds the bot recorded: the store's idempotency key, so a retried refund is recorded once
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)

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
    # the order an event is about ("#1001"), copied from the `order` detail or an "order:" subject by
    # storage.audit.record: an order's history is then one index lookup on both databases, where filtering
    # the JSON would need different SQL on each (and no index on SQLite)
    order_name: Mapped[str | None] = mapped_column(String(64), index=True)


class ReturnCaseRow(Base):
    """A return: what comes back, how, and where the conversation about it lives in Slack.

    status: a domain.vocabulary.ReturnStatus (requested -> label_created -> in_transit -> received -> resolved,
    or cancelled / expired); every change is one conditional UPDATE (see storage.returns).
    """

    __tablename__ = "return_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    rma: Mapped[str] = mapped_column(String(32), unique=True)  # R1001-1: order number, then a counter
    store: Mapped[str] = mapped_column(String(16))  # "local" | "shopify": whose ids order_id holds
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    order_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    delivery: Mapped[str] = mapped_column(String(16))  # a domain.vocabulary.Delivery
    pickup_date: Mapped[date | None] = mapped_column(Date)
    pickup_phone: Mapped[str] = mapped_column(String(64), default="")
    weight_grams: Mapped[int] = mapped_column(Integer)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{line_item_id, name, sku, quantity, reason}]
    sender: Mapped[dict[str, str]] = mapped_column(JSON)  # the customer's address, as the label shows it
    customer_email: Mapped[str] = mapped_column(String(320), default="")
    email_customer: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    resolution: Mapped[str] = mapped_column(String(16), default="")  # refund | exchange | replacement | none
    shopify_return_id: Mapped[str] = mapped_column(String(128), default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    slack_channel: Mapped[str] = mapped_column(String(64), default="")
    slack_thread_ts: Mapped[str] = mapped_column(String(32), default="")
    slack_status_ts: Mapped[str] = mapped_column(String(32), default="")  # the message showing progress
    error: Mapped[str] = mapped_column(Text, default="")  # why the last attempt failed, for the Retry button
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # after the label (storage.return_lifecycle): the receipt, a snooze, and where the reminder was posted
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_by: Mapped[str] = mapped_column(String(64), default="", server_default="")  # a user, carrier, shopify
    received_source: Mapped[str] = mapped_column(String(16), default="", server_default="")  # slack|carrier|shopify
    # [{line_item_id, name, quantity, condition}] and the note: what came back, as the warehouse counted it
    receipt: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    receipt_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slack_reminder_ts: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # the Slack steps after the label (upload, e-mail, the final update of the status message) are done
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last read of the store's own return
    # the carrier (migration 0008): its name ("" = the default), the chosen drop-off point and the nearest ones
    # ([{id, name, address1, zip, city, country, distance_m, opening_hours}]), and the booking intent:
    # "" (none sent), "sent" (a booking went out and no answer is recorded), "unknown" (an agent must decide)
    carrier: Mapped[str] = mapped_column(String(32), default="", server_default="")
    service_point_id: Mapped[str] = mapped_column(String(128), default="", server_default="")
    service_points: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    booking: Mapped[str] = mapped_column(String(16), default="", server_default="")
    booking_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # exchanges (migration 0009): [{line_item_id, name, quantity, variant_id, title}], the new variant for each item
    # exchanged; and the replacement request that ships it (at receipt, or earlier by a team lead's Ship now)
    exchange: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    exchange_request_id: Mapped[int | None] = mapped_column(Integer)

    labels: Mapped[list[LabelRow]] = relationship(back_populates="return_case", order_by="LabelRow.id")

    __table_args__ = (Index("ix_return_cases_status_created", "status", "created_at"),)


class LabelRow(Base):
    """A carrier label. status: a domain.vocabulary.LabelStatus (created -> voided | in_transit -> delivered).
    The e-mails it went out in are its `email` operations (storage.returns.label_email_key)."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)  # also the local carrier's tracking serial
    return_case_id: Mapped[int] = mapped_column(ForeignKey("return_cases.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(128), default="")
    tracking_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    tracking_url: Mapped[str] = mapped_column(String(1024), default="")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tracked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last asked the carrier; NULL: ask first
    # migration 0008: the carrier's shipment id, QR data for label-less drop-off, what failed beside the label
    # (a pickup not booked), and why voiding did not reach the carrier (the label simply expires)
    reference: Mapped[str] = mapped_column(String(128), default="", server_default="")
    qr_code: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    void_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    return_case: Mapped[ReturnCaseRow] = relationship(back_populates="labels")

    __table_args__ = (Index("ix_labels_status_tracked", "status", "tracked_at"),)


class CarrierScanRow(Base):
    """A scan of a parcel, as a scanner at the warehouse records it (`returnbot carrier-scan`): the local
    carrier's tracking answers from these."""

    __tablename__ = "carrier_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # a domain.vocabulary.LabelStatus: in_transit | delivered
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SerialRow(Base):
    """Numbers unique across every instance (the local carrier's tracking serials): an insert hands one out."""

    __tablename__ = "serials"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefundRequestRow(Base):
    """A refund waiting for, or past, a team lead's decision (see storage.refunds).

    status: pending_approval -> approved -> executing -> succeeded | failed, pending_approval -> rejected,
    failed -> executing (retry). Amount, lines and shipping are frozen at creation: what was approved is
    what is sent, under `idempotency_key`, on every attempt.
    """

    __tablename__ = "refund_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    store: Mapped[str] = mapped_column(String(16))  # "local" | "shopify": whose ids order_id holds
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    order_name: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{line_item_id, name, quantity}]
    shipping: Mapped[Decimal] = mapped_column(Amount())
    restock: Mapped[str] = mapped_column(String(16))  # RETURN | CANCEL | NO_RESTOCK (Shopify's restock types)
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text, default="")
    notify_customer: Mapped[bool] = mapped_column(default=True)
    # the planned refund transactions, [{"gateway", "amount" (a string), "parent_id"}], frozen with the request
    transactions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # the refund form's submission: a form submitted twice (or redelivered by Slack) makes one request
    submission_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    decided_by: Mapped[str | None] = mapped_column(String(64))  # Slack user id, or "auto"
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)  # the store's refund idempotency key
    store_refund_id: Mapped[str] = mapped_column(String(128), default="")
    failure: Mapped[str] = mapped_column(Text, default="")  # why the last attempt failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    slack_channel: Mapped[str] = mapped_column(String(64), default="")
    slack_thread_ts: Mapped[str] = mapped_column(String(32), default="")
    # where the message with the buttons is (an approvals channel may not be the request's thread)
    slack_approval_channel: Mapped[str] = mapped_column(String(64), default="", server_default="")
    slack_approval_ts: Mapped[str] = mapped_column(String(32), default="")  # the message with the buttons
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # what is asked for (domain.refunds.RequestKind): a refund, a replacement, a cancellation; the same machinery
    kind: Mapped[str] = mapped_column(String(16), default="refund", server_default="refund")
    # what a kind other than a refund needs beyond lines and amount (a replacement's variants, address ...), frozen
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    # what the execution made, as the thread reports it (a replacement's new order name ...)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    __table_args__ = (Index("ix_refund_requests_status_created", "status", "created_at"),)


class ReminderRow(Base):
    """Due work of the scheduler (see storage.reminders): a reminder, an escalation, an expiry, a digest.

    status: pending -> claimed -> sent | cancelled; a claim whose holder died is taken again once
    `claim_expires_at` has passed, and `attempts` fences the late holder out.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)  # one row per reminder however often scheduled
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128), index=True)  # an RMA, or a day for the digest
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_reminders_status_due", "status", "due_at"),)


class CancellationRow(Base):
    """An order's cancellation (see storage.cancellations): one row per order, as an order is cancelled once.

    status: pending_approval -> approved -> running -> done | failed, pending_approval -> rejected; a failed or
    rejected one is planned again in place (`plan_no` grows, and names the operation key of its attempt).
    """

    __tablename__ = "cancellations"

    id: Mapped[int] = mapped_column(primary_key=True)
    store: Mapped[str] = mapped_column(String(16))  # "local" | "shopify": whose ids order_id holds
    order_id: Mapped[str] = mapped_column(String(128))
    order_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))  # a domain.cancellations.CancelReason
    refund_method: Mapped[str] = mapped_column(String(16))  # a domain.cancellations.CancelRefund
    restock: Mapped[bool] = mapped_column()
    notify_customer: Mapped[bool] = mapped_column()
    staff_note: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column(Amount())  # what was left to refund when it was asked for
    currency: Mapped[str] = mapped_column(String(3))
    # the order's refunded total as the cancellation started, and what the cancellation refunded (once done)
    refunded_before: Mapped[Decimal | None] = mapped_column(Amount())
    refunded: Mapped[Decimal | None] = mapped_column(Amount())
    status: Mapped[str] = mapped_column(String(24))
    plan_no: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(64))
    # the approval request (refund_requests, kind cancellation) that started it
    approval_request_id: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[str] = mapped_column(String(128))  # the store's job while it runs (Shopify's Job id)
    labels_voided: Mapped[list[str]] = mapped_column(JSON)  # the RMAs whose labels were voided before the store
    failure: Mapped[str] = mapped_column(Text)
    submission_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    slack_channel: Mapped[str] = mapped_column(String(64))
    slack_thread_ts: Mapped[str] = mapped_column(String(32))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the guards last passed on the store's order
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # the order card redrawn as the order is once cancelled (NULL: the tick redraws it)
    card_drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store", "order_id", name="uq_cancellations_order"),
        Index("ix_cancellations_status_updated", "status", "updated_at"),
    )
