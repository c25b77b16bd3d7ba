"""Block Kit for returns: the return modal, the thread messages, and the list of open returns."""

from __future__ import annotations

import json
from datetime import date

from bot.common.blocks import context, escape, plain, section
from bot.common.ids import ActionId, BlockId, CallbackId, item_block_id
from commands.returns import REASONS, Case, ReturnDraft, ReturnForm

DELIVERY_LABELS = {"drop_off": "Drop-off at a parcel point", "pickup": "Pickup from the customer"}
MAX_MODAL_ITEMS = 20  # 3 blocks each, within the 100 blocks of a modal beside the other fields


def _option(value: str, label: str) -> dict:
    return {"text": plain(label, 75), "value": value}


def _text_input(block_id: str, label: str, value: str, *, optional: bool = False, hint: str = "") -> dict:
    element = {"type": "plain_text_input", "action_id": ActionId.RETURN_FIELD, "max_length": 200}
    if value:
        element["initial_value"] = value
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def return_modal(draft: ReturnDraft, form: ReturnForm, metadata: dict) -> dict:
    order = draft.order
    blocks: list[dict] = [
        section(
            f"*Return from* {escape(order.customer_name or order.email)} *to* {escape(draft.receiver.name)}\n"
            f"Order {escape(order.name)}: choose what comes back and how. Everything can be changed."
        )
    ]
    for index, item in enumerate(draft.items[:MAX_MODAL_ITEMS]):
        quantities = [_option(str(n), f"{n} of {item.quantity}") for n in range(item.quantity + 1)]
        chosen = form.quantities.get(item.line_item_id, 0)
        blocks.append(
            {
                "type": "input",
                "block_id": item_block_id(index, "qty"),
                "label": plain(f"{item.name}" + (f" ({item.sku})" if item.sku else ""), 2000),
                "element": {
                    "type": "static_select",
                    "action_id": ActionId.RETURN_ITEM_QUANTITY,
                    "options": quantities,
                    "initial_option": quantities[min(chosen, item.quantity)],
                },
            }
        )
        reasons = [_option(k, v) for k, v in REASONS.items()]
        reason = form.reasons.get(item.line_item_id, "unwanted")
        blocks.append(
            {
                "type": "input",
                "block_id": item_block_id(index, "reason"),
                "label": plain("Reason", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": ActionId.RETURN_ITEM_REASON,
                    "options": reasons,
                    "initial_option": next(o for o in reasons if o["value"] == reason),
                },
            }
        )
    sender = form.sender
    blocks += [
        {"type": "divider"},
        section("*From the customer's address*"),
        _text_input(BlockId.R_NAME, "Name", sender.name),
        _text_input(BlockId.R_STREET, "Street address", " ".join(p for p in (sender.address1, sender.address2) if p)),
        _text_input(BlockId.R_ZIP, "Postcode", sender.zip),
        _text_input(BlockId.R_CITY, "City", sender.city),
        _text_input(BlockId.R_COUNTRY, "Country code", sender.country, hint="Two letters, e.g. FI, SE, LV"),
        _text_input(BlockId.R_WEIGHT, "Parcel weight, kg", f"{form.weight_grams / 1000:g}"),
        {
            "type": "input",
            "block_id": BlockId.R_DELIVERY,
            "label": plain("Delivery", 2000),
            "element": {
                "type": "radio_buttons",
                "action_id": ActionId.RETURN_FIELD,
                "options": [_option(k, v) for k, v in DELIVERY_LABELS.items()],
                "initial_option": _option(form.delivery, DELIVERY_LABELS[form.delivery]),
            },
        },
        {
            "type": "input",
            "block_id": BlockId.R_PICKUP_DATE,
            "optional": True,
            "label": plain("Pickup date (pickup only)", 2000),
            "element": {"type": "datepicker", "action_id": ActionId.RETURN_FIELD}
            | ({"initial_date": form.pickup_date.isoformat()} if form.pickup_date else {}),
        },
        _text_input(
            BlockId.R_PICKUP_PHONE,
            "Phone for the pickup (pickup only)",
            form.pickup_phone or order.phone,
            optional=True,
        ),
    ]
    email_option = _option("yes", f"E-mail the label to {order.email}" if order.email else "E-mail the label")
    email_element: dict = {"type": "checkboxes", "action_id": ActionId.RETURN_FIELD, "options": [email_option]}
    if form.email_customer:
        email_element["initial_options"] = [email_option]
    blocks.append(
        {"type": "input", "block_id": BlockId.R_EMAIL, "optional": True, "label": plain("E-mail", 2000),
         "element": email_element}
    )  # fmt: skip
    return {
        "type": "modal",
        "callback_id": CallbackId.RETURN_MODAL,
        "title": plain(f"Return {order.name}", 24),
        "submit": plain("Create label", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def message_modal(title: str, text: str) -> dict:
    """A modal with only a message: loading, working, done or failed."""
    return {"type": "modal", "title": plain(title, 24), "close": plain("Close", 24), "blocks": [section(text)]}


def working_text(order_name: str, who: str) -> str:
    return f"⏳ Creating a return label for {order_name}… (started by <@{who}>)"


def _facts(case: Case) -> str:
    items = ", ".join(f"{i['quantity']} × {escape(i['name'])}" for i in case.items)
    delivery = DELIVERY_LABELS.get(case.delivery, case.delivery)
    if case.pickup_date:
        delivery += f" on {case.pickup_date:%Y-%m-%d}"
    return f"*Items:* {items}\n*Delivery:* {delivery}"


def label_message(case: Case, emailed_to: str | None = None) -> tuple[str, list[dict]]:
    """The thread's message about a return that has its label."""
    assert case.label is not None
    label = case.label
    voided = label.status == "voided" or case.status == "cancelled"
    head = f"↩️ Return *{case.rma}* for {escape(case.order_name)}" + (" — *label voided*" if voided else "")
    text = (
        f"{head}\n*Tracking:* <{label.tracking_url}|{escape(label.tracking_number)}> ({escape(label.service)})\n"
        + _facts(case)
    )
    blocks = [section(text, BlockId.RETURN_STATUS)]
    notes = [f"Requested by <@{case.requested_by}>"]
    if emailed_to:
        notes.append(f"label e-mailed to {escape(emailed_to)}")
    blocks.append(context(" · ".join(notes)))
    if not voided:
        buttons = []
        if case.customer_email:
            buttons.append(
                {"type": "button", "action_id": ActionId.RETURN_EMAIL, "text": plain("E-mail label to customer", 75),
                 "value": case.rma}
            )  # fmt: skip
        if label.status == "created":
            buttons.append(
                {
                    "type": "button", "action_id": ActionId.RETURN_VOID, "text": plain("Void label", 75),
                    "value": case.rma, "style": "danger",
                    "confirm": {"title": plain("Void this label?", 100),
                                "text": plain(f"The customer can no longer use the label of {case.rma}.", 300),
                                "confirm": plain("Void label", 30), "deny": plain("Keep it", 30)},
                }
            )  # fmt: skip
        if buttons:
            blocks.append({"type": "actions", "block_id": BlockId.RETURN_ACTIONS, "elements": buttons})
    return f"Return {case.rma} for {case.order_name}: tracking {label.tracking_number}", blocks


def failed_message(case: Case, reason: str) -> tuple[str, list[dict]]:
    text = f"⚠️ The label for return *{case.rma}* ({escape(case.order_name)}) was not made: {escape(reason)}"
    blocks = [
        section(text, BlockId.RETURN_STATUS),
        {
            "type": "actions",
            "block_id": BlockId.RETURN_ACTIONS,
            "elements": [
                {
                    "type": "button",
                    "action_id": ActionId.RETURN_RETRY,
                    "text": plain("Retry", 75),
                    "value": case.rma,
                    "style": "primary",
                }
            ],
        },
    ]
    return f"The label for {case.rma} was not made: {reason}", blocks


def returns_list(cases: list[Case], title: str, today: date) -> tuple[str, list[dict]]:
    if not cases:
        return f"No {title}.", [section(f"No {escape(title)}.")]
    blocks = [section(f"*{escape(title.capitalize())}* — newest first")]
    for index, case in enumerate(cases[:40]):
        age = (today - case.created_at.date()).days
        tracking = f" · `{case.label.tracking_number}`" if case.label else ""
        blocks.append(
            {
                "type": "section",
                "block_id": f"return_{index}",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{case.rma}* · {escape(case.order_name)} · {case.status.replace('_', ' ')} · "
                    f"{age} day{'s' if age != 1 else ''} old{tracking}",
                },
                "accessory": {
                    "type": "button",
                    "action_id": ActionId.SHOW_ORDER,
                    "text": plain(f"Show {case.order_name}", 75),
                    "value": case.order_id,
                },
            }
        )
    if len(cases) > 40:
        blocks.append(context(f"…and {len(cases) - 40} more."))
    return f"{len(cases)} {title}", blocks
