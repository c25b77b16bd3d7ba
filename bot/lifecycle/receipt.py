"""The "Mark received" form: per item the quantity received and its condition, and a note.

Its metadata is the RMA alone; the inputs are named by line item (`receipt_block_id`), so the submission is read
against the case as the database has it (its items never change once it is opened), and nothing the client sends
back decides anything: `commands.return_lifecycle.receive` checks the receipt again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.common.blocks import Block, escape, option, plain, quantity_input, section, text_input, typed_quantity
from bot.common.ids import ActionId, BlockId, CallbackId, receipt_block_id
from bot.common.metadata import Metadata
from commands.return_cases import Case
from commands.return_lifecycle import MAX_NOTE, Condition, Receipt, ReceivedItem

Values = dict[str, dict[str, dict[str, Any]]]  # a view's state.values: block id -> action id -> value

TITLE = "Mark received"
MAX_FORM_ITEMS = 45  # two inputs each, with the intro and the note within a modal's 100 blocks
NOTE_MAX = MAX_NOTE
CONDITION_LABELS = {
    Condition.RESELLABLE: "Resellable → back to stock",
    Condition.DAMAGED: "Damaged",
    Condition.MISSING: "Missing (not in the parcel)",
}


@dataclass(frozen=True)
class ReceiptFormMeta(Metadata):
    rma: str


def receipt_modal(case: Case) -> Block:
    items = case.items[:MAX_FORM_ITEMS]
    intro = (
        f"*Return {escape(case.rma)}* for {escape(case.order_name)}: how many of each item came back, and in what "
        "condition? Resellable items go back to stock."
    )
    hidden = len(case.items) - len(items)
    if hidden > 0:
        intro += f"\nThe other {hidden} items of the return are recorded as received in full, resellable."
    blocks: list[Block] = [section(intro, BlockId.RC_INTRO)]
    for item in items:
        line_id, most = str(item["line_item_id"]), int(item["quantity"])
        sku = f" ({item['sku']})" if item.get("sku") else ""
        blocks.append(
            {
                "type": "input",
                "block_id": receipt_block_id(line_id, "qty"),
                "label": plain(f"{item['name']}{sku}: received of {most}", 2000),
                "element": _quantity(most),
            }
        )
        conditions = [option(value, label) for value, label in CONDITION_LABELS.items()]
        blocks.append(
            {
                "type": "input",
                "block_id": receipt_block_id(line_id, "condition"),
                "label": plain("Condition", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": ActionId.RECEIPT_CONDITION,
                    "options": conditions,
                    "initial_option": conditions[0],
                },
            }
        )
    blocks.append(
        text_input(BlockId.RC_NOTE, "Note", "", action_id=ActionId.RECEIPT_FIELD, optional=True, multiline=True,
                   max_length=NOTE_MAX)
    )  # fmt: skip
    return {
        "type": "modal",
        "callback_id": CallbackId.RECEIPT_MODAL,
        "title": plain(TITLE, 24),
        "submit": plain("Received", 24),
        "close": plain("Cancel", 24),
        "private_metadata": ReceiptFormMeta(rma=case.rma).to_json(),
        "blocks": blocks,
    }


def read_receipt(values: Values, case: Case) -> tuple[Receipt, dict[str, str]]:
    """The submitted receipt, and what the form alone shows wrong with it, by block id."""
    received: list[ReceivedItem] = []
    errors: dict[str, str] = {}
    for index, item in enumerate(case.items):
        line_id, name, most = str(item["line_item_id"]), str(item["name"]), int(item["quantity"])
        if index >= MAX_FORM_ITEMS:  # not in the form (see receipt_modal)
            received.append(ReceivedItem(line_id, name, most, Condition.RESELLABLE))
            continue
        qty_block = receipt_block_id(line_id, "qty")
        entry = values.get(qty_block, {}).get(ActionId.RECEIPT_QUANTITY, {})
        try:
            quantity = int(typed_quantity(entry))
        except ValueError:
            errors[qty_block] = "Enter a whole number of items."
            quantity = 0
        chosen = values.get(receipt_block_id(line_id, "condition"), {}).get(ActionId.RECEIPT_CONDITION, {})
        condition = (chosen.get("selected_option") or {}).get("value", "")
        if condition not in CONDITION_LABELS:
            errors[receipt_block_id(line_id, "condition")] = "Choose the condition."
            condition = Condition.RESELLABLE
        received.append(ReceivedItem(line_id, name, quantity, Condition(condition).value))
    note = str(values.get(BlockId.RC_NOTE, {}).get(ActionId.RECEIPT_FIELD, {}).get("value") or "").strip()
    return Receipt(items=tuple(received), note=note), errors


def error_blocks(case: Case, errors: dict[str, str]) -> dict[str, str]:
    """`commands.return_lifecycle.receipt_errors` (by line item id, or "note") as the form's block ids; an error of
    an item the form does not show goes on the first item shown."""
    shown = {str(i["line_item_id"]) for i in case.items[:MAX_FORM_ITEMS]}
    first = receipt_block_id(str(case.items[0]["line_item_id"]), "qty") if case.items else BlockId.RC_NOTE
    blocks: dict[str, str] = {}
    for key, message in errors.items():
        if key == "note":
            where = BlockId.RC_NOTE.value
        elif key in shown:
            where = receipt_block_id(key, "qty")
        else:
            where = first
        blocks[where] = f"{blocks[where]} {message}" if where in blocks else message
    return blocks


def _quantity(most: int) -> Block:
    """All received, to begin with."""
    return quantity_input(ActionId.RECEIPT_QUANTITY, most, most)
