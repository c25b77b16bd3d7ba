"""What an approved request of a kind other than a refund does, and which function does it.

A request of any kind (domain.refunds.RequestKind) is asked for, decided and started by the refund machinery
(storage.refunds, commands.refund_decisions): the same limits, the same team leads, one decision, one execution
at a time under the request's one idempotency key. `refund_decisions.execute` sends a refund to the store itself
and hands every other kind to its executor here.

An executor is `(services, request, idempotency_key) -> WorkDone`. It is called once per attempt, with the same key
on every attempt (a retry, or the tick recovering an interrupted one), so it must do its work at most once per
key (`storage.operations.run_once`, or the store's own idempotency). It raises StoreError or UserError, whose
message is shown to people, when the work was not done; anything else is recorded as an unknown outcome, with
Retry offered.

Executor modules return commands.work_done.WorkDone and must not import this module or commands.refund_decisions
(which imports this module).
"""

from __future__ import annotations

from collections.abc import Callable

from commands.cancellation_work import carry_out_cancellation
from commands.replacement_work import carry_out_replacement
from commands.services import Services
from commands.work_done import WorkDone
from domain.refunds import RequestKind
from storage.refund_records import RefundRequestView

Executor = Callable[[Services, RefundRequestView, str], WorkDone]

# one line per kind; refunds are carried out by refund_decisions.execute itself
_EXECUTORS: dict[RequestKind, Executor] = {
    RequestKind.REPLACEMENT: carry_out_replacement,
    RequestKind.CANCELLATION: carry_out_cancellation,
}


def executor_for(kind: RequestKind) -> Executor:
    try:
        return _EXECUTORS[kind]
    except KeyError:
        raise ValueError(f"no executor carries out requests of kind {kind!r}") from None
