"""The refund modal as Slack hands it back: its metadata, and its fields read into a RefundForm.

The metadata carries ids (the order, the lines of the quantity fields, where to report) and the ceilings the form
showed. Those ceilings only give the agent instant field errors while the ack is quick; they decide nothing: the
request is read and checked again against the store when it is made (commands.refunds.request_refund), so a
forged metadata can at most pass the quick check and be refused there.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.common.blocks import typed_quantity
from bot.common.ids import ActionId, BlockId, refund_line_block_id
from bot.common.metadata import Metadata
from commands.refund_form import Limits, RefundForm, check_form, parse_amount
from commands.refunds import RefundOptions
from domain.refunds import RefundableLine

MAX_MODAL_LINES = 20  # a quantity field each, within a modal's 100 blocks and its 3,000-character metadata

Values = dict[str, dict[str, dict[str, Any]]]  # a view's state.values: block id -> action id -> value


@dataclass(frozen=True)
class RefundFormMeta(Metadata):
    order_id: str
    channel: str  # where the order card is: the outcome is told in its thread
    thread: str
    lines: str = ""  # the line item ids of the quantity fields, in order, space-separated
    # the ceilings the form showed, for the ack's quick check only (see above)
    currency: str = "XXX"
    most: str = ""  # each line's refundable quantity, space-separated
    shipping: str = "0"
    maximum: str = "0"

    @classmethod
    def of(cls, opened: RefundOptions, channel: str, thread: str, *, lines: list[str] | None = None) -> RefundFormMeta:
        """The metadata of the form showing `opened`; `lines`: keep the lines of the form as it opened (a redraw
        must not move a quantity field to another line when one was refunded meanwhile)."""
        shown = shown_lines(opened, lines)
        quote = opened.quote
        return cls(
            order_id=opened.order.ref.id, channel=channel, thread=thread,
            lines=" ".join(li.line_item_id for li in shown), currency=quote.currency,
            most=" ".join(str(li.refundable_quantity) for li in shown),
            shipping=str(quote.shipping_refundable.amount), maximum=str(quote.maximum.amount),
        )  # fmt: skip

    @property
    def line_ids(self) -> list[str]:
        return self.lines.split()

    def limits(self) -> Limits:
        """The ceilings as the form showed them; ValueError when they are not numbers (a forged form)."""
        try:
            most = [int(n) for n in self.most.split()]
            return Limits(
                currency=self.currency,
                lines={line_id: (n, "") for line_id, n in zip(self.line_ids, most, strict=True)},
                shipping=Decimal(self.shipping),
                maximum=Decimal(self.maximum),
            )
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(f"refund form metadata: {exc}") from None


@dataclass(frozen=True)
class RejectFormMeta(Metadata):
    request_id: int


def shown_lines(opened: RefundOptions, keep: list[str] | None = None) -> list[RefundableLine]:
    """The lines the form offers: those with something left to refund, at most MAX_MODAL_LINES; or the lines
    `keep` names, in that order."""
    if keep is not None:
        by_id = {li.line_item_id: li for li in opened.quote.lines}
        return [by_id[line_id] for line_id in keep[:MAX_MODAL_LINES] if line_id in by_id]
    return [li for li in opened.quote.lines if li.refundable_quantity > 0][:MAX_MODAL_LINES]


def read_form(values: Values, meta: RefundFormMeta) -> tuple[RefundForm, dict[str, str]]:
    """The submitted form and its errors by block id, checked without I/O (the ack must be quick). ValueError when
    the metadata is not the bot's."""
    limits = meta.limits()
    cur = limits.currency
    errors: dict[str, str] = {}
    quantities: dict[str, int] = {}
    for index, line_id in enumerate(meta.line_ids):
        block = refund_line_block_id(index)
        try:
            quantities[line_id] = _quantity(_value(values, block, ActionId.REFUND_QUANTITY))
        except ValueError:
            errors[block] = "Give a whole number of items."
    shipping, amount = Decimal(0), None
    shipping_text = _value(values, BlockId.F_SHIPPING, ActionId.REFUND_RECALC).get("value") or ""
    if shipping_text.strip() not in ("", "0"):
        try:
            shipping = parse_amount(shipping_text, cur)
        except ValueError as exc:
            errors[BlockId.F_SHIPPING] = str(exc)
    amount_text = _value(values, BlockId.F_AMOUNT).get("value") or ""
    if amount_text.strip():
        try:
            amount = parse_amount(amount_text, cur)
        except ValueError as exc:
            errors[BlockId.F_AMOUNT] = str(exc)
    form = RefundForm(
        quantities=quantities, shipping=shipping, amount=amount,
        restock=bool(_value(values, BlockId.F_RESTOCK, ActionId.REFUND_RECALC).get("selected_options")),
        reason=(_value(values, BlockId.F_REASON).get("selected_option") or {}).get("value", ""),
        note=(_value(values, BlockId.F_NOTE).get("value") or "").strip(),
        notify_customer=bool(_value(values, BlockId.F_NOTIFY).get("selected_options")),
    )  # fmt: skip
    blocks = {line_id: refund_line_block_id(i) for i, line_id in enumerate(meta.line_ids)}
    first = refund_line_block_id(0) if meta.line_ids else BlockId.F_AMOUNT
    fields: dict[str, str] = {"lines": first, "shipping": BlockId.F_SHIPPING, "amount": BlockId.F_AMOUNT,
              "reason": BlockId.F_REASON, "note": BlockId.F_NOTE}  # fmt: skip
    for field, message in check_form(form, limits).items():
        where = blocks.get(field.removeprefix("line:")) if field.startswith("line:") else fields.get(field)
        if where:
            errors.setdefault(where, message)
    return form, errors


def reject_reason(values: Values) -> str:
    return str(_value(values, BlockId.F_REJECT_REASON).get("value") or "").strip()


def _value(values: Values, block: str, action: str = ActionId.REFUND_FIELD) -> dict[str, Any]:
    return values.get(block, {}).get(action, {})


def _quantity(entry: dict[str, Any]) -> int:
    """A quantity from its menu or, for 100 and more, its number field."""
    return int(typed_quantity(entry) or "0")
