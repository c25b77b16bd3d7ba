"""Block Kit for the returns' modals: the return form, the "E-mail label to…" form, and message-only modals."""

from __future__ import annotations

from bot.common.blocks import Block, escape, option, plain, quantity_input, section, text_input
from bot.common.ids import ActionId, BlockId, CallbackId, item_block_id
from bot.returns.form import EmailFormMeta, ReturnFormMeta
from commands.returns import REASONS, Case, FormChoices, ReturnDraft, ReturnForm
from domain.vocabulary import Delivery

DELIVERY_LABELS = {Delivery.DROP_OFF: "Drop-off at a parcel point", Delivery.PICKUP: "Pickup from the customer"}
# where the carrier's words about a form field are shown (issue 14): Slack sets field errors only in a submission's
# ack, so what the carrier said later is written into the field's hint, and named at the top of the form
_ADDRESS_WORDS = ((BlockId.R_ZIP, ("postcode", "postal", "zip")), (BlockId.R_CITY, ("city",)),
                  (BlockId.R_COUNTRY, ("country",)), (BlockId.R_NAME, ("name",)))  # fmt: skip
_FIELD_BLOCKS = {"weight": BlockId.R_WEIGHT, "pickup_date": BlockId.R_PICKUP_DATE,
                 "pickup_phone": BlockId.R_PICKUP_PHONE, "carrier": BlockId.R_CARRIER}  # fmt: skip
MAX_MODAL_ITEMS = 20  # 3 blocks each, within the 100 blocks of a modal beside the other fields
TITLE = "Return"



def carrier_hints(fields: dict[str, str]) -> dict[str, str]:
    """The carrier's words about form fields ("address", "weight", …), by the block that shows them."""
    hints: dict[str, str] = {}
    for name, message in fields.items():
        if name == "address":
            lowered = message.lower()
            block = next((b for b, words in _ADDRESS_WORDS if any(w in lowered for w in words)), BlockId.R_STREET)
        else:
            block = _FIELD_BLOCKS.get(name, BlockId.R_STREET)
        hints[block] = f"⚠️ {message}"
    return hints


def return_modal(
    draft: ReturnDraft, form: ReturnForm, meta: ReturnFormMeta, *, problem: str = "",
    choices: FormChoices | None = None, hints: dict[str, str] | None = None,
) -> Block:  # fmt: skip
    """The return form, filled in from `form`; `problem` (checked against the order again, or the carrier's refusal)
    shown on top, `hints` (by block) under the fields they are about; `choices`: carriers and drop-off points."""
    order = draft.order
    hints = hints or {}
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f"⚠️ {escape(problem)}"))
    blocks.append(
        section(
            f"*Return from* {escape(order.customer_name or order.email)} *to* {escape(draft.receiver.name)}\n"
            f"Order {escape(order.name)}: choose what comes back and how. Everything can be changed."
        )
    )
    for index, item in enumerate(draft.items[:MAX_MODAL_ITEMS]):
        chosen = min(max(form.quantities.get(item.line_item_id, 0), 0), item.quantity)
        blocks.append(
            {
                "type": "input",
                "block_id": item_block_id(index, "qty"),
                "label": plain(f"{item.name}" + (f" ({item.sku})" if item.sku else ""), 2000),
                "element": _quantity(item.quantity, chosen),
            }
        )
        reasons = [option(k, v) for k, v in REASONS.items()]
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
                    "initial_option": next((o for o in reasons if o["value"] == reason), reasons[0]),
                },
            }
        )
        blocks.append(exchange_input(index, form.exchanges.get(item.line_item_id, ""),
                                     form.exchange_titles.get(item.line_item_id, "")))  # fmt: skip
    sender = form.sender
    blocks += [
        {"type": "divider"},
        section("*From the customer's address*"),
        _text_input(BlockId.R_NAME, "Name", sender.name, hint=hints.get(BlockId.R_NAME, "")),
        _text_input(BlockId.R_STREET, "Street address", " ".join(p for p in (sender.address1, sender.address2) if p),
                    hint=hints.get(BlockId.R_STREET, "")),
        _text_input(BlockId.R_ZIP, "Postcode", sender.zip, hint=hints.get(BlockId.R_ZIP, "")),
        _text_input(BlockId.R_CITY, "City", sender.city, hint=hints.get(BlockId.R_CITY, "")),
        _text_input(BlockId.R_COUNTRY, "Country code", sender.country,
                    hint=hints.get(BlockId.R_COUNTRY, "Two letters, e.g. FI, SE, LV")),
        _text_input(BlockId.R_WEIGHT, "Parcel weight, kg", f"{form.weight_grams / 1000:g}",
                    hint=hints.get(BlockId.R_WEIGHT, "")),
        *_carrier_blocks(form, choices, hints),
        {
            "type": "input",
            "block_id": BlockId.R_DELIVERY,
            "label": plain("Delivery", 2000),
            "element": {
                "type": "radio_buttons",
                "action_id": ActionId.RETURN_FIELD,
                "options": [option(k, v) for k, v in DELIVERY_LABELS.items()],
                "initial_option": option(form.delivery, DELIVERY_LABELS[form.delivery]),
            },
        },
        {
            "type": "input",
            "block_id": BlockId.R_PICKUP_DATE,
            "optional": True,
            "label": plain("Pickup date (pickup only)", 2000),
            "element": {"type": "datepicker", "action_id": ActionId.RETURN_FIELD}
            | ({"initial_date": form.pickup_date.isoformat()} if form.pickup_date else {}),
        }
        | ({"hint": plain(hints[BlockId.R_PICKUP_DATE], 2000)} if BlockId.R_PICKUP_DATE in hints else {}),
        _text_input(
            BlockId.R_PICKUP_PHONE,
            "Phone for the pickup (pickup only)",
            form.pickup_phone or order.phone,
            optional=True,
            hint=hints.get(BlockId.R_PICKUP_PHONE, ""),
        ),
        *_point_blocks(form, choices),
    ]
    if order.email:  # without an address there is nothing to tick: the label goes into the thread only
        email_option = option("yes", f"E-mail the label to {order.email}")
        email_element: Block = {"type": "checkboxes", "action_id": ActionId.RETURN_FIELD, "options": [email_option]}
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
        "private_metadata": meta.to_json(),
        "blocks": blocks,
    }


def exchange_input(index: int, variant_id: str, title: str) -> Block:
    """Exchange instead of a refund: the new variant (the replacements' picker, fed by the store as the agent types;
    the same item may be chosen again). Shipped when the return is received, or earlier by a team lead."""
    element: Block = {
        "type": "external_select", "action_id": ActionId.REPLACE_VARIANT, "min_query_length": 0,
        "placeholder": plain("Type a product name or SKU", 150),
    }  # fmt: skip
    if variant_id:
        element["initial_option"] = option(variant_id, title or variant_id)
    return {
        "type": "input", "block_id": item_block_id(index, "exchange"), "optional": True,
        "label": plain("Exchange for", 2000), "element": element,
        "hint": plain("Empty: refund as usual. The new item ships when the return is received.", 2000),
    }  # fmt: skip


def email_modal(case: Case, meta: EmailFormMeta) -> Block:
    """One field: the address to send the label of `case` to, instead of (or besides) the customer's."""
    about = f"Send the return label of *{escape(case.rma)}* ({escape(case.order_name)}) to another address."
    on_order = f" The order's address is {escape(case.customer_email)}." if case.customer_email else ""
    return {
        "type": "modal",
        "callback_id": CallbackId.RETURN_EMAIL_MODAL,
        "title": plain("E-mail label", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "private_metadata": meta.to_json(),
        "blocks": [
            section(about + on_order),
            {
                "type": "input",
                "block_id": BlockId.R_EMAIL_TO,
                "label": plain("E-mail address", 2000),
                "element": {"type": "email_text_input", "action_id": ActionId.RETURN_FIELD},
            },
        ],
    }


def _carrier_blocks(form: ReturnForm, choices: FormChoices | None, hints: dict[str, str]) -> list[Block]:
    """The carrier, when more than one is set up (the customer's country's first)."""
    if choices is None or len(choices.carriers) < 2:
        return []
    options = [option(name, title) for name, title in choices.carriers]
    chosen = next((o for o in options if o["value"] == form.carrier), options[0])
    block: Block = {
        "type": "input", "block_id": BlockId.R_CARRIER, "label": plain("Carrier", 2000),
        "element": {"type": "static_select", "action_id": ActionId.RETURN_FIELD, "options": options,
                    "initial_option": chosen},
    }  # fmt: skip
    if BlockId.R_CARRIER in hints:
        block["hint"] = plain(hints[BlockId.R_CARRIER], 2000)
    return [block]


def _point_blocks(form: ReturnForm, choices: FormChoices | None) -> list[Block]:
    """The nearest drop-off points of the carrier, to choose one (drop-off only; none chosen: the carrier's own)."""
    if choices is None or not choices.points:
        return []
    options = []
    for point in choices.points:
        choice = option(point.id, point.one_line())
        if point.opening_hours:
            choice["description"] = plain(point.opening_hours, 75)
        options.append(choice)
    element: Block = {"type": "radio_buttons", "action_id": ActionId.RETURN_FIELD, "options": options}
    chosen = next((o for o in options if o["value"] == form.service_point_id), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return [{
        "type": "input", "block_id": BlockId.R_SERVICE_POINT, "optional": True,
        "label": plain("Drop-off point (drop-off only)", 2000), "element": element,
        "hint": plain("The nearest to the customer; the e-mail lists them. None chosen: any point of the carrier.",
                      2000),
    }]  # fmt: skip


def _quantity(most: int, chosen: int) -> Block:
    return quantity_input(ActionId.RETURN_ITEM_QUANTITY, most, chosen)


def _text_input(block_id: str, label: str, value: str, *, optional: bool = False, hint: str = "") -> Block:
    return text_input(block_id, label, value, action_id=ActionId.RETURN_FIELD, optional=optional, hint=hint)
