"""The cancel modal as Slack hands it back: its metadata (ids only) and its fields read into a CancelForm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.common.ids import ActionId, BlockId
from bot.common.metadata import Metadata
from commands.cancellations import CancelForm, check_form
from domain.cancellations import CancelReason, CancelRefund

Values = dict[str, dict[str, dict[str, Any]]]  # a view's state.values: block id -> action id -> value

RESTOCK = "restock"
NOTIFY = "notify"


@dataclass(frozen=True)
class CancelFormMeta(Metadata):
    order_id: str
    channel: str  # where the order card is: the outcome is told in its thread
    thread: str
    store_credit: bool = False  # offered as the store allows (checked again against the store on submit)


def read_form(values: Values, meta: CancelFormMeta) -> tuple[CancelForm, dict[str, str]]:
    """The submitted form and its errors by block id, checked without I/O (the ack must be quick)."""
    errors: dict[str, str] = {}
    reason = _choice(values, BlockId.C_REASON)
    refund = _choice(values, BlockId.C_REFUND)
    try:
        chosen_reason = CancelReason(reason)
    except ValueError:
        errors[BlockId.C_REASON] = "Choose why the order is cancelled."
        chosen_reason = CancelReason.OTHER
    try:
        chosen_refund = CancelRefund(refund)
    except ValueError:
        errors[BlockId.C_REFUND] = "Choose where the money goes."
        chosen_refund = CancelRefund.NONE
    options = {o.get("value") for o in _value(values, BlockId.C_OPTIONS).get("selected_options") or []}
    form = CancelForm(
        reason=chosen_reason, refund=chosen_refund, restock=RESTOCK in options, notify_customer=NOTIFY in options,
        staff_note=str(_value(values, BlockId.C_NOTE).get("value") or "").strip(),
    )  # fmt: skip
    where = {"note": BlockId.C_NOTE, "refund": BlockId.C_REFUND}
    for field, message in check_form(form, store_credit=meta.store_credit).items():
        errors.setdefault(where[field], message)
    return form, errors


def _choice(values: Values, block: str) -> str:
    return str((_value(values, block).get("selected_option") or {}).get("value") or "")


def _value(values: Values, block: str) -> dict[str, Any]:
    return values.get(block, {}).get(ActionId.CANCEL_FIELD, {})
