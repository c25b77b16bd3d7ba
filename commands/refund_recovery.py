"""Refunds the scheduler looks after: the ones waiting for a team lead (the digest, the App Home), and the ones an
instance left behind when it stopped.

Recovery, each tick (commands.tick):
- a request left `approved` (the instance died between the approval and the refund, or an auto-approved one never
  ran) is executed, as the approval would have: `refund_decisions.execute`, its first attempt;
- one left `executing` past its lease is released (executing -> failed, for the attempt that was running: a late
  report of that attempt is then fenced off) and retried at once with the request's one idempotency key, so the
  store refunds at most once whichever attempt got through.
Both steps are conditional UPDATEs (storage.refunds): two instances recovering at once run each refund once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from commands.refund_decisions import execute
from commands.services import Services
from domain.money import Money
from domain.refunds import RefundStatus
from storage import refunds
from storage.refunds import RefundRequestView

# a refund is sent within the store client's time budget (20 s): one not done after this is not running any more
LEASE = timedelta(minutes=5)
SYSTEM = "system"  # the actor of the bot's own recovery, in the audit trail
WAITING_LIMIT = 50


@dataclass(frozen=True)
class RefundSummary:
    """A refund waiting for a team lead, as the digest and the App Home list it."""

    id: int
    order_name: str
    amount: str  # "49.90 EUR", as the store's currency is written
    requested_by: str
    created_at: datetime


def refunds_waiting(services: Services, *, limit: int = WAITING_LIMIT) -> list[RefundSummary]:
    """Requests waiting for a team lead's decision, oldest first."""
    return [
        RefundSummary(r.id, r.order_name, str(Money(r.amount, r.currency)), r.requested_by, r.created_at)
        for r in refunds.with_status(services.db, RefundStatus.PENDING_APPROVAL, limit=limit)
    ]


def recover_refunds(services: Services, *, lease: timedelta = LEASE) -> list[RefundRequestView]:
    """Run the refunds a stopped instance left approved or executing; the requests as they are afterwards."""
    now = services.clock()
    done: list[RefundRequestView] = []
    # executing past the lease: released for the attempt that was running, then retried with the same key
    for released in refunds.fail_interrupted(services.db, started_before=now - lease, at=now):
        ran = execute(services, released.id, actor=SYSTEM, retry=True, is_lead=_the_bot)
        if ran.ran:
            done.append(ran.request)
    # approved but never started: an approval's own execution would have started within seconds
    for request in refunds.with_status(services.db, RefundStatus.APPROVED):
        if request.updated_at > now - lease:
            continue
        ran = execute(services, request.id, actor=SYSTEM)
        if ran.ran:
            done.append(ran.request)
    return done


def _the_bot() -> bool:
    """The bot retries its own interrupted refund: the retry is not a person's decision (that was the approval)."""
    return True
