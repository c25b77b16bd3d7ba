"""One tick of the scheduler: what is due now, done once however many instances tick.

`returnbot run` ticks every TICK_SECONDS (APScheduler, bot/main/runtime.py); `returnbot tick [--at …]` and the
shell's `tick +15d` run one. A tick, in order, each step on its own (one failing is logged and counted, the
others go on; the database being down fails them all, and the next tick starts afresh):
1. makes sure today's digest is scheduled (`digest:<day>`, due at DIGEST_TIME in TIMEZONE);
2. recovers refunds a stopped instance left approved or executing (commands.refund_recovery);
3. asks the carrier about labels on their way (in transit -> the case too; delivered -> received);
4. reads the shop's own returns (Shopify: processed or closed in the admin -> received);
5. settles received returns whose order the bot has refunded since (-> resolved);
6. claims the due rows (storage.reminders.claim_due: each to one instance) and does each (commands.reminders);
7. finishes cancellations whose store job outlived its budget (commands.cancellation_tick).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from commands.cancellation_tick import tick_cancellations
from commands.carriers import all_carriers
from commands.errors import UserError
from commands.refund_recovery import RefundSummary as RefundSummary
from commands.refund_recovery import recover_refunds
from commands.refund_recovery import refunds_waiting as refunds_waiting
from commands.reminders import DIGEST, Done, Notifier, digest_due, handle, notify_once
from commands.reminders import Digest as Digest
from commands.return_lifecycle import CARRIER, SHOPIFY, Condition, Receipt, ReceivedItem, full_receipt, receive
from commands.services import LifecycleSettings, Services
from domain.carrier import CarrierError
from domain.store import StoreError, StoreReturn
from domain.vocabulary import LabelStatus
from storage import reminders
from storage import return_lifecycle as lifecycle
from storage import returns as stored

log = logging.getLogger(__name__)

BATCH = 100  # rows claimed at a time: each batch is done well within its claim's lease
MAX_PER_TICK = 5000  # at most this many rows a tick; the rest wait for the next one
TRACK_PER_TICK = 200  # labels asked about per tick (the least recently asked first)
POLL_PER_TICK = 100  # the shop's returns read per tick
RETRY_AFTER = timedelta(minutes=5)
# cases of a batch done side by side: each mostly waits (Slack, SMTP, the database), so a few threads overlap the
# waits; each row is still done once (its claim, its operation keys), and one case's rows keep their order
WORKERS = 4

__all__ = ["Digest", "LifecycleSettings", "Notifier", "RefundSummary", "TickReport", "refunds_waiting", "tick"]


@dataclass(frozen=True)
class TickReport:
    """What one tick did: for the logs, `returnbot tick` and the shell."""

    reminders: int = 0
    escalations: int = 0
    expired: int = 0
    digests: int = 0
    received: int = 0  # receipts from the carrier's tracking or the shop's admin
    recovered: int = 0  # refunds run and returns finished for a stopped instance
    cancelled: int = 0  # cancellations whose store job finished since (commands.cancellation_tick)
    errors: int = 0

    def __str__(self) -> str:
        parts = (f"{name} {getattr(self, name)}" for name in self.__dataclass_fields__)
        return ", ".join(parts)


_COUNTS = {
    lifecycle.REMINDER: "reminders",
    lifecycle.ESCALATION: "escalations",
    lifecycle.EXPIRY: "expired",
    DIGEST: "digests",
    stored.RESUME: "recovered",
}


def tick(
    services: Services,
    notifier: Notifier,
    *,
    now: datetime,
    owner: str,
    settings: LifecycleSettings | None = None,
    batch: int = BATCH,
    lease: timedelta = reminders.LEASE,
    workers: int = WORKERS,
) -> TickReport:
    """One tick as of `now` (see the module's docstring); never raises: what failed is logged and counted.
    `now` is the services' clock as the caller read it: the leases of claims and operation keys are read from that
    clock too, so a caller moving time moves the clock (MovableClock), not only `now`."""
    if settings is not None and settings is not services.lifecycle:
        services.lifecycle = settings  # the settings the caller means are the ones every step reads
    counts: Counter[str] = Counter()
    steps: list[tuple[str, Callable[[], None]]] = [
        ("schedule the digest", lambda: _schedule_digest(services, now)),
        ("recover refunds", lambda: _recover_refunds(services, notifier, counts)),
        ("track labels", lambda: _track(services, notifier, now, counts)),
        ("read the shop's returns", lambda: _poll_store(services, notifier, now, counts)),
        ("settle refunded returns", lambda: _settle(services, now)),
        ("send what is due", lambda: _due(services, notifier, now, owner, batch, lease, workers, counts)),
        # a store's cancellation job that outlived its budget, and cards to redraw (commands.cancellation_tick)
        ("finish cancellations", lambda: counts.update(cancelled=tick_cancellations(services, notifier, now=now))),
    ]
    for name, step in steps:
        try:
            step()
        except Exception:
            log.exception("tick at %s: could not %s", now.isoformat(), name)
            counts["errors"] += 1
    report = TickReport(**{field: counts[field] for field in TickReport.__dataclass_fields__})
    if report != TickReport():
        log.info("tick at %s: %s", now.isoformat(), report)
    return report


# -- the steps ---------------------------------------------------------------------------------------------------


def _schedule_digest(services: Services, now: datetime) -> None:
    if not services.lifecycle.digest_channel:
        return
    day, due = digest_due(now, services.lifecycle)
    with services.db.session(write=True) as s:
        reminders.schedule(s, key=f"{DIGEST}:{day.isoformat()}", kind=DIGEST, subject=day.isoformat(), due_at=due,
                           now=now)  # fmt: skip


def _recover_refunds(services: Services, notifier: Notifier, counts: Counter[str]) -> None:
    for request in recover_refunds(services):
        counts["recovered"] += 1
        try:
            notifier.refund_recovered(request)
        except Exception:
            log.exception("refund request %s was recovered, but Slack was not told", request.id)
            counts["errors"] += 1


def _track(services: Services, notifier: Notifier, now: datetime, counts: Counter[str]) -> None:
    known = all_carriers(services)  # each label is asked of the carrier that made it
    if not known:
        return
    for label in lifecycle.labels_to_track(services.db, limit=TRACK_PER_TICK, at=now):
        carrier = known.get(label.carrier)
        if carrier is None:
            continue
        try:
            status = carrier.tracking_status(label.tracking_number)
        except CarrierError as exc:
            log.warning("tracking %s of %s: %s", label.tracking_number, label.rma, exc.message)
            counts["errors"] += 1
            continue
        if status == LabelStatus.IN_TRANSIT and label.status is LabelStatus.CREATED:
            lifecycle.in_transit(services.db, label.rma, at=now)
        elif status == LabelStatus.DELIVERED:
            _receive(services, notifier, label.rma, None, CARRIER, counts)


def _poll_store(services: Services, notifier: Notifier, now: datetime, counts: Counter[str]) -> None:
    if not services.store.keeps_returns:
        return
    refs = lifecycle.store_returns_to_poll(services.db, limit=POLL_PER_TICK, at=now)
    if not refs:
        return
    try:
        states = services.store.read_returns([r.store_return_id for r in refs])
    except StoreError as exc:
        log.warning("could not read the shop's returns: %s", exc)
        counts["errors"] += 1
        return
    for ref in refs:
        state = states.get(ref.store_return_id)
        if state is not None and state.received:
            _receive(services, notifier, ref.rma, state, SHOPIFY, counts)
        elif state is not None and state.status in ("cancelled", "declined"):
            log.info("return %s was %s in the shop's admin", ref.rma, state.status)


def _receive(
    services: Services, notifier: Notifier, rma: str, state: StoreReturn | None, source: str, counts: Counter[str]
) -> None:
    """The parcel is back (delivered, or processed in the shop): one receipt, said once in Slack."""
    case = stored.get_case(services.db, rma)
    if case is None:
        return
    receipt = _from_store(case, state) if state is not None else full_receipt(case)
    try:
        received = receive(services, rma, source, receipt, source=source)
    except UserError as exc:
        log.warning("return %s could not be marked received from %s: %s", rma, source, exc.message)
        counts["errors"] += 1
        return
    if received.won:
        counts["received"] += 1
        notify_once(services, f"{lifecycle.RECEIVED}:{rma}", lambda: notifier.received(received))


def _from_store(case: stored.CaseView, state: StoreReturn) -> Receipt:
    """What the shop's admin processed, capped at what the return holds; all of it when it closed it unprocessed."""
    items = []
    for item in case.items:
        processed = min(int(state.processed.get(str(item["line_item_id"]), 0)), int(item["quantity"]))
        if processed > 0:
            items.append(ReceivedItem(str(item["line_item_id"]), str(item["name"]), processed, Condition.RESELLABLE))
    return Receipt(tuple(items)) if items else full_receipt(case)


def _settle(services: Services, now: datetime) -> None:
    for rma in lifecycle.refunded_since_receipt(services.db, limit=POLL_PER_TICK):
        lifecycle.resolve(services.db, rma, resolution="refund", actor=lifecycle.SYSTEM, at=now)


def _due(
    services: Services,
    notifier: Notifier,
    now: datetime,
    owner: str,
    batch: int,
    lease: timedelta,
    workers: int,
    counts: Counter[str],
) -> None:
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="tick") as pool:
        while done < MAX_PER_TICK:
            claimed = reminders.claim_due(services.db, now=now, owner=owner, limit=batch, lease=lease)
            if not claimed:
                return
            done += len(claimed)
            for counted in pool.map(lambda rows: [_do(services, notifier, r, now) for r in rows], _by_subject(claimed)):
                counts.update(c for c in counted if c)


def _by_subject(claimed: list[reminders.Reminder]) -> list[list[reminders.Reminder]]:
    """The claimed rows by case, each case's in the order they fell due: a case's reminder, escalation and expiry
    all due at once (the bot was down for weeks) are done one after the other, never the expiry first."""
    groups: dict[str, list[reminders.Reminder]] = {}
    for reminder in claimed:  # claim_due returns them by due time
        groups.setdefault(reminder.subject, []).append(reminder)
    return list(groups.values())


def _do(services: Services, notifier: Notifier, reminder: reminders.Reminder, now: datetime) -> str:
    """Do one claimed row and mark it; the counter it adds to ("" for none)."""
    try:
        outcome = handle(services, notifier, reminder, now=now)
    except Exception as exc:
        log.exception("reminder %s failed: tried again in %s", reminder.key, RETRY_AFTER)
        reminders.retry_later(services.db, reminder, now=now, retry_at=now + RETRY_AFTER, error=repr(exc))
        return "errors"
    if isinstance(outcome, datetime):
        reminders.retry_later(services.db, reminder, now=now, retry_at=outcome, error="")
        return ""
    if not reminders.finish(services.db, reminder, now=now, status=reminders.ReminderStatus(outcome)):
        log.info("reminder %s: the claim was taken over before it was finished", reminder.key)
        return ""
    return _COUNTS.get(reminder.kind, "") if outcome is Done.SENT else ""
