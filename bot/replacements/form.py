"""The replacement modal as Slack hands it back: its metadata, and its fields read into a ReplacementForm.

The metadata carries ids (the order, the lines of the quantity fields, where to report) and the quantities ordered,
which only give the agent instant field errors while the ack is quick: the request is checked again against the
order, and every chosen variant read from the store, when it is made (commands.replacements.request_replacement).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.common.blocks import typed_quantity
from bot.common.ids import ActionId, BlockId, replace_line_block_id
from bot.common.metadata import Metadata
from commands.replacement_form import ReplacementForm, check_form
from commands.replacements import ReplacementOptions
from domain.orders import Address

Values = dict[str, dict[str, dict[str, Any]]]  # a view's state.values: block id -> action id -> value

_ADDRESS_BLOCKS = {
    "name": BlockId.P_NAME, "address1": BlockId.P_ADDRESS1, "address2": BlockId.P_ADDRESS2, "zip": BlockId.P_ZIP,
    "city": BlockId.P_CITY, "country": BlockId.P_COUNTRY, "phone": BlockId.P_PHONE,
}  # fmt: skip


@dataclass(frozen=True)
class ReplaceFormMeta(Metadata):
    order_id: str
    channel: str  # where the order card is: the outcome is told in its thread
    thread: str
    lines: str = ""  # the line item ids of the quantity fields, in order, space-separated
    most: str = ""  # each line's quantity ordered, space-separated (the ack's quick check only)

    @classmethod
    def of(cls, opened: ReplacementOptions, channel: str, thread: str) -> ReplaceFormMeta:
        return cls(
            order_id=opened.order.ref.id, channel=channel, thread=thread,
            lines=" ".join(li.id for li in opened.lines), most=" ".join(str(li.quantity) for li in opened.lines),
        )  # fmt: skip

    @property
    def line_ids(self) -> list[str]:
        return self.lines.split()

    def ordered(self) -> dict[str, tuple[int, str]]:
        try:
            most = [int(n) for n in self.most.split()]
            return {line_id: (n, "this item") for line_id, n in zip(self.line_ids, most, strict=True)}
        except ValueError as exc:
            raise ValueError(f"replacement form metadata: {exc}") from None


def read_form(values: Values, meta: ReplaceFormMeta) -> tuple[ReplacementForm, dict[str, str]]:
    """The submitted form and its errors by block id, checked without I/O. ValueError when the metadata is not the
    bot's."""
    ordered = meta.ordered()
    errors: dict[str, str] = {}
    quantities: dict[str, int] = {}
    variants: dict[str, str] = {}
    for index, line_id in enumerate(meta.line_ids):
        block = replace_line_block_id(index, "quantity")
        typed = typed_quantity(_value(values, block, ActionId.REPLACE_QUANTITY))
        try:
            quantities[line_id] = int(typed or "0")
        except ValueError:
            errors[block] = "Give a whole number of items."
        chosen = _value(values, replace_line_block_id(index, "variant"), ActionId.REPLACE_VARIANT)
        variants[line_id] = ((chosen.get("selected_option") or {}).get("value") or "").strip()
    address = Address(**{part: _text(values, block) for part, block in _ADDRESS_BLOCKS.items()})
    form = ReplacementForm(
        quantities=quantities, variants={k: v for k, v in variants.items() if v},
        reason=(_value(values, BlockId.P_REASON).get("selected_option") or {}).get("value", ""),
        address=address, shipping_title=_text(values, BlockId.P_SHIPPING_TITLE), note=_text(values, BlockId.P_NOTE),
        notify_customer=bool(_value(values, BlockId.P_NOTIFY).get("selected_options")),
    )  # fmt: skip
    blocks = {f"lines.{line_id}": replace_line_block_id(i, "quantity") for i, line_id in enumerate(meta.line_ids)}
    blocks |= {f"address.{part}": block for part, block in _ADDRESS_BLOCKS.items()}
    blocks |= {"lines": replace_line_block_id(0, "quantity"), "reason": BlockId.P_REASON, "note": BlockId.P_NOTE,
               "shipping_title": BlockId.P_SHIPPING_TITLE}  # fmt: skip
    for field, message in check_form(form, ordered).items():
        block = blocks.get(field, BlockId.P_REASON)
        errors.setdefault(block, message)
    return form, errors


def _value(values: Values, block: str, action: str = ActionId.REPLACE_FIELD) -> dict[str, Any]:
    return values.get(block, {}).get(action) or {}


def _text(values: Values, block: str) -> str:
    return str(_value(values, block).get("value") or "").strip()
