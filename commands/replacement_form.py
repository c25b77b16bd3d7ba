"""The replacement form as an agent fills it in: read and checked without I/O (a modal's ack is quick).

Nothing here is final: quantities are checked against what was ordered again, and every chosen variant is read
from the store again, when the request is made (commands.replacements.request_replacement).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.orders import Address
from domain.replacements import ReplacementReason

MAX_NOTE = 500
MAX_SHIPPING_TITLE = 100
DEFAULT_SHIPPING_TITLE = "Replacement shipping"
REASONS = {r.value: r.label for r in ReplacementReason}


@dataclass(frozen=True)
class ReplacementForm:
    quantities: Mapping[str, int]  # line item id -> units to send again
    reason: str  # a ReplacementReason value
    address: Address
    variants: Mapping[str, str] = field(default_factory=dict)  # line item id -> another variant's id ("": the same)
    shipping_title: str = DEFAULT_SHIPPING_TITLE
    note: str = ""
    notify_customer: bool = False

    @property
    def chosen(self) -> dict[str, int]:
        return {line: q for line, q in self.quantities.items() if q > 0}


def check_form(form: ReplacementForm, ordered: Mapping[str, tuple[int, str]]) -> dict[str, str]:
    """Errors by field ("lines", "lines.<line item id>", "reason", "address.<part>", "note", "shipping_title"),
    in words. `ordered`: line item id -> (quantity ordered, name)."""
    errors: dict[str, str] = {}
    for line_id, quantity in form.quantities.items():
        most, name = ordered.get(line_id, (0, line_id))
        if quantity < 0:
            errors[f"lines.{line_id}"] = "Give a number of items, 0 or more."
        elif quantity > most:
            errors[f"lines.{line_id}"] = f"Only {most} of {name} were ordered."
    if not form.chosen and not errors:
        errors["lines"] = "Choose at least one item to send again."
    for line_id in form.variants:
        if form.variants[line_id] and form.quantities.get(line_id, 0) == 0 and f"lines.{line_id}" not in errors:
            errors[f"lines.{line_id}"] = "A new variant is chosen for this item: give how many to send."
    if form.reason not in REASONS:
        errors["reason"] = "Choose why the items are sent again."
    errors.update(address_errors(form.address))
    if len(form.note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    if not form.shipping_title.strip():
        errors["shipping_title"] = "Give the shipping a title (the customer sees it)."
    elif len(form.shipping_title) > MAX_SHIPPING_TITLE:
        errors["shipping_title"] = f"Keep the shipping title under {MAX_SHIPPING_TITLE} characters."
    return errors


def address_errors(address: Address) -> dict[str, str]:
    """What the carrier cannot ship without: a name, a street, a postcode, a town and a country code."""
    errors: dict[str, str] = {}
    if not address.name.strip():
        errors["address.name"] = "Give the name of the person to send it to."
    if not address.address1.strip():
        errors["address.address1"] = "Give the street address."
    if not address.zip.strip():
        errors["address.zip"] = "Give the postcode."
    if not address.city.strip():
        errors["address.city"] = "Give the town or city."
    country = address.country.strip()
    if len(country) != 2 or not country.isalpha():
        errors["address.country"] = "Give the country as its two-letter code, like FI or SE."
    return errors
