"""Reading the returns' modals: their metadata (ids only) and the submitted values, checked without I/O.

The metadata comes back from the client, so it names things and decides nothing: the order, the return
and the line items are read again from the store and the database before anything is done with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.common.blocks import typed_quantity
from bot.common.ids import ActionId, BlockId, item_block_id
from bot.common.metadata import Metadata
from commands import returns
from domain.orders import Address
from domain.vocabulary import Delivery

Values = dict[str, dict[str, dict[str, Any]]]

_ADDRESS_BLOCKS = {
    BlockId.R_NAME: "name", BlockId.R_STREET: "street", BlockId.R_ZIP: "postcode", BlockId.R_CITY: "city",
    BlockId.R_COUNTRY: "country",
}  # fmt: skip
_ERROR_BLOCKS = {
    "weight": BlockId.R_WEIGHT, "pickup_date": BlockId.R_PICKUP_DATE, "pickup_phone": BlockId.R_PICKUP_PHONE,
    "email": BlockId.R_EMAIL,
}  # fmt: skip


@dataclass(frozen=True)
class ReturnFormMeta(Metadata):
    order_id: str
    channel: str  # where the order card is: the label is reported in its thread
    thread: str
    line_items: str  # the line item ids of the form's item blocks, in order, space-separated
    points_carrier: str = ""  # whose drop-off points the form offers (a point belongs to its carrier)

    @property
    def item_ids(self) -> list[str]:
        return self.line_items.split()


@dataclass(frozen=True)
class EmailFormMeta(Metadata):
    rma: str


def read_form(values: Values, meta: ReturnFormMeta, today: date) -> tuple[returns.ReturnForm, dict[str, str]]:
    """The submitted form and what is wrong with it by block id, as far as the form alone shows: how many of
    each item may come back is checked against the order, read again, on the worker."""
    quantities: dict[str, int] = {}
    reasons: dict[str, str] = {}
    exchanges: dict[str, str] = {}  # line item id -> the variant sent in exchange
    titles: dict[str, str] = {}
    for index, item_id in enumerate(meta.item_ids):
        chosen = values.get(item_block_id(index, "qty"), {}).get(ActionId.RETURN_ITEM_QUANTITY, {})
        quantities[item_id] = returns.parse_quantity(typed_quantity(chosen) or "0")
        reason = values.get(item_block_id(index, "reason"), {}).get(ActionId.RETURN_ITEM_REASON, {})
        reasons[item_id] = (reason.get("selected_option") or {}).get("value", returns.DEFAULT_REASON)
        exchange = values.get(item_block_id(index, "exchange"), {}).get(ActionId.REPLACE_VARIANT, {})
        exchanged: dict[str, Any] = exchange.get("selected_option") or {}
        if str(exchanged.get("value") or "").strip():
            exchanges[item_id] = str(exchanged["value"]).strip()
            titles[item_id] = str((exchanged.get("text") or {}).get("text") or "")
    text = {block: (_value(values, block).get("value") or "").strip() for block in _ADDRESS_BLOCKS}
    delivery = (_value(values, BlockId.R_DELIVERY).get("selected_option") or {}).get("value", Delivery.DROP_OFF)
    picked = _value(values, BlockId.R_PICKUP_DATE).get("selected_date")
    # no carrier field (one carrier set up): the one whose points were offered, i.e. the customer's country's
    carrier = (_value(values, BlockId.R_CARRIER).get("selected_option") or {}).get("value", meta.points_carrier)
    point = (_value(values, BlockId.R_SERVICE_POINT).get("selected_option") or {}).get("value", "")
    form = returns.ReturnForm(
        quantities=quantities, reasons=reasons,
        sender=Address(name=text[BlockId.R_NAME], address1=text[BlockId.R_STREET], zip=text[BlockId.R_ZIP],
                       city=text[BlockId.R_CITY], country=text[BlockId.R_COUNTRY].upper()),
        weight_grams=returns.parse_weight(_value(values, BlockId.R_WEIGHT).get("value") or ""),
        delivery=Delivery.PICKUP if delivery == Delivery.PICKUP else Delivery.DROP_OFF,
        email_customer=bool(_value(values, BlockId.R_EMAIL).get("selected_options")),
        pickup_date=_date(picked), pickup_phone=(_value(values, BlockId.R_PICKUP_PHONE).get("value") or "").strip(),
        carrier=carrier, service_point_id=point if carrier == meta.points_carrier else "",
        exchanges=exchanges, exchange_titles=titles,
    )  # fmt: skip
    errors: dict[str, str] = {}
    for index, item_id in enumerate(meta.item_ids):
        if quantities[item_id] < 0:
            errors[item_block_id(index, "qty")] = "Enter a whole number of items."
    for block, part in _ADDRESS_BLOCKS.items():
        if not text[block]:
            errors[block] = f"The customer's {part} is needed on the label."
    found = returns.entry_errors(form, today)
    if meta.item_ids and found.get("items") and not any(q < 0 for q in quantities.values()):
        errors[item_block_id(0, "qty")] = found["items"]
    for field, message in found.items():
        if field in _ERROR_BLOCKS:
            errors.setdefault(_ERROR_BLOCKS[field], message)
    return form, errors


def read_email(values: Values) -> tuple[str, dict[str, str]]:
    """The address typed into the "E-mail label to…" form, ready to use, or the field's error."""
    typed = (_value(values, BlockId.R_EMAIL_TO).get("value") or "").strip()
    address = returns.valid_address(typed)
    if address is None:
        return "", {BlockId.R_EMAIL_TO: "Enter one e-mail address, like name@example.com."}
    return address, {}


def _value(values: Values, block: str) -> dict[str, Any]:
    return values.get(block, {}).get(ActionId.RETURN_FIELD, {})


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None
