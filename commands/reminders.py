"""What the scheduler does with one due row (storage.reminders) it has claimed: a reminder, an escalation, an expiry,
the follow-up of a receipt, the daily digest, finishing a return an instance left half done, or looking for a
replacement's tracking (commands.replacement_tracking).

Each outcome is said by the return value, never by a half-done side effect:
- SENT: done; the row is marked sent (under the attempt that claimed it);
- CANCELLED: nothing to say any more (the case was received, closed, cancelled; an empty digest);
- a datetime: not yet (the case is snoozed until then; the replacement has not shipped yet).
An exception leaves the row to be retried a few minutes later. Every message and e-mail runs under an operation
key made from the row's key, so a retry, or another instance taking over an expired claim, never sends twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from commands.carriers import all_carriers
from commands.errors import UserError
from commands.refund_recovery import RefundSummary, refunds_waiting
from commands.replacement_tracking import TRACKING, ReplacementShipped, look
from commands.return_cases import Case
from commands.return_lifecycle import CARRIER, SHOPIFY, Received, email_reminder, follow_up, mark_finished
from commands.services import LifecycleSettings, Services
from domain.carrier import CarrierError
from domain.vocabulary import OPEN_RETURN_STATUSES, LabelStatus, ReturnStatus
from storage import return_lifecycle as lifecycle
from storage import returns as stored
from storage.operations import run_once
from storage.refunds import RefundRequestView
from storage.reminders import Reminder

log = logging.getLogger(__name__)

DIGEST, RESUME = "digest", stored.RESUME
DIGEST_LIMIT = 200  # cases per list of a digest; the counts say how many there are in all
DIGEST_STALE = timedelta(hours=24)  # a digest not sent within a day of its time is not news any more


class Notifier(Protocol):
    """Where the scheduler's messages go (bot.lifecycle.notifier.SlackNotifier posts them to Slack). Each call is
    made under an operation key of its own: retried after a failure, never repeated after a success."""

    def reminder(self, case: Case, *, customer_emailed_to: str | None) -> None: ...

    def escalation(self, case: Case, *, channel: str) -> None: ...

    def expired(self, case: Case, *, label_voided: bool) -> None: ...

    def received(self, received: Received) -> None: ...

    def digest(self, digest: Digest, *, channel: str) -> None: ...

    def resume_return(self, rma: str) -> None: ...

    def refund_recovered(self, request: RefundRequestView) -> None:
        """A refund an instance left approved or executing was run by the tick: its messages show the outcome."""
        ...

    def replacement_shipped(self, shipped: ReplacementShipped) -> None:
        """A replacement order has shipped: its tracking, in the original order's thread."""
        ...


@dataclass(frozen=True)
class Digest:
    day: date
    open_cases: tuple[Case, ...]  # by age, oldest first (at most DIGEST_LIMIT: `open_total` counts them all)
    overdue: tuple[Case, ...]  # open longer than the reminder days, not snoozed
    refunds_waiting: tuple[RefundSummary, ...]
    received_unresolved: tuple[Case, ...]
    open_total: int = 0

    @property
    def empty(self) -> bool:
        return not (self.open_cases or self.overdue or self.refunds_waiting or self.received_unresolved)


class Done(StrEnum):
    SENT = "sent"
    CANCELLED = "cancelled"


Outcome = Done | datetime  # a datetime: due again then (a snoozed case)


def handle(services: Services, notifier: Notifier, reminder: Reminder, *, now: datetime) -> Outcome:
    """Do what the claimed row is due for (see the module's docstring)."""
    handler = _HANDLERS.get(reminder.kind)
    if handler is None:
        log.warning("reminder %s has an unknown kind %r: cancelled", reminder.key, reminder.kind)
        return Done.CANCELLED
    return handler(services, notifier, reminder, now)


def notify_once(services: Services, key: str, send: Callable[[], None]) -> bool:
    """Run `send()` (a Notifier call) once per key; True when this call ran it."""

    def sent() -> dict[str, Any]:
        send()
        return {}

    return run_once(services.db, f"notify:{key}", "notification", sent, now=services.clock).ran


# -- the kinds ----------------------------------------------------------------------------------------------


def _open_case(services: Services, reminder: Reminder, now: datetime) -> Case | Outcome:
    """The row's case while it is on its way back; else the outcome that says why nothing is sent."""
    case = stored.get_case(services.db, reminder.subject)
    if case is None or case.status not in lifecycle.RECEIVABLE:
        return Done.CANCELLED
    if case.snoozed_until is not None and case.snoozed_until > now:
        return case.snoozed_until
    return case


def _reminder(services: Services, notifier: Notifier, reminder: Reminder, now: datetime) -> Outcome:
    case = _open_case(services, reminder, now)
    if not isinstance(case, Case):
        return case
    emailed_to = None
    if services.lifecycle.customer_reminder and case.email_customer and case.customer_email:
        try:
            emailed_to = email_reminder(services, case, key=f"reminder-email:{reminder.key}")
        except UserError as exc:  # the thread says nobody was e-mailed; Remind customer is there
            log.warning("reminder e-mail for %s not sent: %s", case.rma, exc.message)
    notify_once(services, reminder.key, lambda: notifier.reminder(case, customer_emailed_to=emailed_to))
    return Done.SENT


def _escalation(services: Services, notifier: Notifier, reminder: Reminder, now: datetime) -> Outcome:
    case = _open_case(services, reminder, now)
    if not isinstance(case, Case):
        return case
    channel = services.lifecycle.escalation_channel or case.slack_channel  # no leads' channel: the case's own
    notify_once(services, reminder.key, lambda: notifier.escalation(case, channel=channel))
    return Done.SENT


def _expiry(services: Services, notifier: Notifier, reminder: Reminder, now: datetime) -> Outcome:
    case = _open_case(services, reminder, now)
    if not isinstance(case, Case):
        return case
    voided = _void_label(services, case)
    if services.store.keeps_returns and case.store_return_id:
        # a StoreError leaves the row to be retried: the case stays open until the shop's return is ended too
        return_id = case.store_return_id

        def end() -> dict[str, Any]:
            services.store.cancel_return(return_id)
            return {"return": return_id}

        run_once(services.db, f"store-return-end:{case.rma}", "store_return_end", end, now=services.clock)
    if not lifecycle.expire(services.db, case.rma, at=now, label_voided=voided):
        return Done.CANCELLED  # received or closed a moment ago
    expired = stored.get_case(services.db, case.rma, label_id=case.label.id if case.label else None) or case
    notify_once(services, reminder.key, lambda: notifier.expired(expired, label_voided=voided))
    return Done.SENT


def _void_label(services: Services, case: Case) -> bool:
    """Void the unused label at the carrier where it can; False when there is none or the carrier would not."""
    label = case.label
    carrier = all_carriers(services).get(label.carrier) if label is not None else None
    if label is None or label.status is not LabelStatus.CREATED or carrier is None or not carrier.can_void:
        return False  # a carrier that cannot cancel labels: the unused label simply expires
    try:
        carrier.void(label.tracking_number)
    except CarrierError as exc:
        log.info("the carrier did not void the label of expired return %s: %s", case.rma, exc.message)
        return False
    return True


def _received(services: Services, notifier: Notifier, reminder: Reminder, now: datetime) -> Outcome:
    done = follow_up(services, reminder.subject)
    case = stored.get_case(services.db, reminder.subject)
    if case is not None and case.received_source in (CARRIER, SHOPIFY):
        # a person's receipt was said in Slack by the bot at once; the carrier's and the shop's are said here
        received = Received(case, won=True, emailed_to=done.emailed_to, problem=done.problem, refused=done.refused)
        notify_once(services, reminder.key, lambda: notifier.received(received))
    if done.problem:
        raise RuntimeError(done.problem)  # retried later; what succeeded is not done again
    return Done.SENT


def _digest(services: Services, notifier: Notifier, reminder: Reminder, now: datetime) -> Outcome:
    channel = services.lifecycle.digest_channel
    if not channel or reminder.due_at < now - DIGEST_STALE:
        return Done.CANCELLED
    digest = build_digest(services, date.fromisoformat(reminder.subject), now, services.lifecycle)
    if digest.empty:
        return Done.CANCELLED  # nothing to say: no message
    notify_once(services, reminder.key, lambda: notifier.digest(digest, channel=channel))
    return Done.SENT


def _resume(services: Services, notifier: Notifier, reminder: Reminder, now: datetime) -> Outcome:
    case = stored.get_case(services.db, reminder.subject)
    unfinished = (ReturnStatus.REQUESTED, ReturnStatus.LABEL_CREATED)
    if case is None or case.finished_at is not None or case.error or case.status not in unfinished:
        return Done.CANCELLED  # finished, failed visibly (its message offers Retry), or moved on
    notifier.resume_return(case.rma)  # each step of it runs under its own key: safe to run again
    mark_finished(services, case.rma)
    return Done.SENT


def _replacement_tracking(services: Services, notifier: Notifier, reminder: Reminder, now: datetime) -> Outcome:
    found = look(services, reminder.subject, now)
    if found is None:
        return Done.CANCELLED
    if isinstance(found, datetime):
        return found
    notify_once(services, reminder.key, lambda: notifier.replacement_shipped(found))
    return Done.SENT


_HANDLERS = {
    lifecycle.REMINDER: _reminder,
    lifecycle.ESCALATION: _escalation,
    lifecycle.EXPIRY: _expiry,
    lifecycle.RECEIVED: _received,
    DIGEST: _digest,
    TRACKING: _replacement_tracking,
    RESUME: _resume,
}


# -- the digest -----------------------------------------------------------------------------------------------


def build_digest(services: Services, day: date, now: datetime, settings: LifecycleSettings) -> Digest:
    """Open returns by age, the overdue ones, refunds waiting for a team lead, received returns not resolved."""
    db = services.db
    open_cases = lifecycle.cases_with_status(db, OPEN_RETURN_STATUSES, limit=DIGEST_LIMIT)
    late = now - timedelta(days=settings.reminder_days)
    overdue = [
        c
        for c in lifecycle.cases_with_status(db, lifecycle.RECEIVABLE, limit=DIGEST_LIMIT, created_before=late)
        if c.snoozed_until is None or c.snoozed_until <= now
    ]
    received = lifecycle.cases_with_status(db, (ReturnStatus.RECEIVED,), limit=DIGEST_LIMIT)
    return Digest(
        day=day, open_cases=tuple(open_cases), overdue=tuple(overdue), refunds_waiting=tuple(refunds_waiting(services)),
        received_unresolved=tuple(received), open_total=lifecycle.count_with_status(db, OPEN_RETURN_STATUSES),
    )  # fmt: skip


def digest_due(now: datetime, settings: LifecycleSettings) -> tuple[date, datetime]:
    """The latest digest moment at or before `now` (DIGEST_TIME in TIMEZONE): its day and the UTC time it is due."""
    local = now.astimezone(settings.timezone)
    day = local.date()
    due = datetime.combine(day, settings.digest_time, settings.timezone)
    if due > local:
        day -= timedelta(days=1)
        due = datetime.combine(day, settings.digest_time, settings.timezone)
    return day, due.astimezone(UTC)
