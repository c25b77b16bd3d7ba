"""A replacement's parcel, said in the original order's thread once the shop has shipped it.

A replacement order is made at once, but it ships when the warehouse gets to it (a fulfillment with tracking,
recorded in the shop). Each replacement made schedules a row (storage.reminders, kind TRACKING) that the tick
claims now and then: it reads the replacement order from the store; shipped, the thread is told its tracking once
(an operation key of the row's own); not yet, the row is due again later; after WATCH_FOR it is given up (a
replacement shipped without tracking, or never shipped, is not the bot's to chase).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from commands.services import Services
from domain.orders import Fulfillment
from domain.refunds import RefundStatus
from storage import refunds, reminders
from storage.refund_records import RefundRequestView

TRACKING = "replacement-tracking"
FIRST_LOOK = timedelta(hours=1)  # a warehouse ships the same day at the soonest
LOOK_EVERY = timedelta(hours=3)
WATCH_FOR = timedelta(days=30)


@dataclass(frozen=True)
class ReplacementShipped:
    request: RefundRequestView  # the replacement's request: its thread is the original order's
    name: str  # the replacement order's, "#1030"
    parcels: tuple[Fulfillment, ...]  # each with its tracking number


def watch(services: Services, request: RefundRequestView) -> None:
    """Look for the replacement's tracking from now on (once per request, however often this is called)."""
    now = services.clock()
    with services.db.session(write=True) as s:
        reminders.schedule(s, key=f"{TRACKING}:{request.id}", kind=TRACKING, subject=str(request.id),
                           due_at=now + FIRST_LOOK, now=now)  # fmt: skip


def look(services: Services, subject: str, now: datetime) -> ReplacementShipped | datetime | None:
    """The replacement shipped (with its parcels); or when to look again; or None: nothing more to look for.
    A store that cannot be reached raises (StoreError): the row is tried again a few minutes later."""
    request = refunds.get(services.db, int(subject))
    if request.status is not RefundStatus.SUCCEEDED or not request.store_refund_id:
        return None
    order = services.store.get_order(request.store_refund_id)
    if order is None or order.cancelled:
        return None
    parcels = tuple(f for f in order.fulfillments if f.tracking_number)
    if parcels:
        return ReplacementShipped(request, order.name, parcels)
    if now - request.updated_at >= WATCH_FOR:
        return None
    return now + LOOK_EVERY
