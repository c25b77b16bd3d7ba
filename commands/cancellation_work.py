"""The executor of an approved cancellation request (commands.approved_work): the cancellation, once.

The approval request (kind cancellation) carries the cancellation's id in its details; the work itself, with its own
operation key, is commands.cancellation_run's. A Retry of the request runs a failed cancellation again under the same
key; a request the cancellation no longer belongs to (asked again since) does nothing.
"""

from __future__ import annotations

from commands.cancellation_run import Ran, refund_words, run
from commands.cancellations import approves
from commands.errors import UserError
from commands.services import Services
from commands.work_done import WorkDone
from storage import cancellations as stored
from storage.cancellations import CancelStatus
from storage.refund_records import RefundRequestView


def carry_out_cancellation(services: Services, request: RefundRequestView, key: str) -> WorkDone:
    cancellation_id = int(request.details["cancellation_id"])
    ran = run(services, cancellation_id, actor=request.decided_by or stored.SYSTEM,
              plan_no=int(request.details.get("plan_no", 0)), request_id=request.id)  # fmt: skip
    cancellation = ran.cancellation
    if not ran.ran and not approves(request, cancellation):
        raise UserError(f"The cancellation of {cancellation.order_name} was asked for again since: see its new "
                        "request.")  # fmt: skip
    if cancellation.status is CancelStatus.FAILED:
        raise UserError(cancellation.failure)
    return WorkDone(store_id=cancellation.job_id or cancellation.order_id, result=result_of(ran))


def result_of(ran: Ran) -> dict[str, object]:
    """What the thread says of it (JSON values only)."""
    cancellation = ran.cancellation
    return {
        "order": cancellation.order_name, "status": cancellation.status.value,
        "running": cancellation.status is CancelStatus.RUNNING, "refunded": refund_words(cancellation),
        "restocked": cancellation.restock, "voided": list(ran.voided or cancellation.labels_voided),
        "told": ran.told, "mail_problem": ran.mail_problem, "reason": cancellation.reason.words,
    }  # fmt: skip
