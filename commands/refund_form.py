"""The refund form and `/refund` as an agent types them: read and checked without I/O (a modal's ack is quick).

Nothing here is final: the ceilings a form is checked against at once are the ones it showed, and the request is
checked again against the store's quote when it is made (commands.refunds.request_refund).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from commands.errors import UserError
from domain.money import Money, minor_units
from domain.refunds import RefundChoice, RefundLineChoice, RefundQuote, RestockType

REASONS = {
    "returned": "Returned by the customer",
    "damaged": "Arrived damaged or defective",
    "wrong_item": "Wrong item sent",
    "not_delivered": "Never arrived",
    "late": "Delivered late",
    "price_adjustment": "Price adjustment",
    "goodwill": "Goodwill",
    "other": "Other",
}
DEFAULT_REASON = "returned"
MAX_NOTE = 500

_ORDER_NUMBER = re.compile(r"#?\d{1,9}")
_CURRENCY = re.compile(r"[A-Za-z]{3}|€")
# what an agent typed as an amount, well formed or not ("25", "-5", "12,50", "1.234", "€25", "25€")
_AMOUNT_LIKE = re.compile(r"[-+−€]*[\d.,]*\d[\d.,]*€?")
_DECIMAL = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)")


@dataclass(frozen=True)
class RefundCommand:
    """`/refund <order> [amount] [currency]`, read."""

    query: str  # the order, as an order lookup takes it
    amount: Decimal | None = None  # more than zero; its decimals are checked against the order's currency
    currency: str = ""  # as typed (upper case), "" when not given


@dataclass(frozen=True)
class Limits:
    """The ceilings a form is checked against: what the store says is still refundable."""

    currency: str
    lines: dict[str, tuple[int, str]]  # line item id -> (refundable quantity, name)
    shipping: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class RefundForm:
    quantities: dict[str, int]  # line item id -> units to refund
    shipping: Decimal
    restock: bool
    amount: Decimal | None  # a custom amount; None: the total the store computes for the choice
    reason: str  # a REASONS key
    note: str = ""
    notify_customer: bool = True

    @property
    def chosen(self) -> bool:
        """Items or shipping are chosen (else the form is an amount alone, or empty)."""
        return any(q > 0 for q in self.quantities.values()) or self.shipping > 0

    @property
    def amount_alone(self) -> bool:
        return not self.chosen and self.amount is not None


# -- `/refund` --------------------------------------------------------------------------------------


def parse_command(text: str) -> RefundCommand:
    """`#1001`, `#1001 25`, `#1001 25,50 EUR`, `ann@example.com 25`: the order, then an amount and a currency.

    After an order number everything is the amount and currency, so that `#1001 abc` is a bad amount, never a
    search for a customer called "1001 abc". A UserError says what is wrong, in words."""
    words = text.split()
    if not words:
        raise UserError("Say which order to refund.")
    if _ORDER_NUMBER.fullmatch(words[0]):
        query, rest = words[0], words[1:]
        if len(rest) > 2:
            raise UserError(f"After the order number come at most an amount and a currency, not “{_clip(text)}”.")
    else:
        rest = []
        if len(words) >= 3 and _CURRENCY.fullmatch(words[-1]) and _AMOUNT_LIKE.fullmatch(words[-2]):
            rest = words[-2:]
        elif len(words) >= 2 and _AMOUNT_LIKE.fullmatch(words[-1]):
            rest = words[-1:]
        query = " ".join(words[: len(words) - len(rest)])
    if not rest:
        return RefundCommand(query)
    currency = ""
    if len(rest) == 2:
        if not _CURRENCY.fullmatch(rest[1]):
            raise UserError(f"“{_clip(rest[1])}” is not a currency: write its code, like EUR.")
        currency = "EUR" if rest[1] == "€" else rest[1].upper()
    return RefundCommand(query, _amount(rest[0]), currency)


def check_command(command: RefundCommand, order_name: str, currency: str) -> None:
    """The command's amount against the order's currency; a UserError when they do not fit."""
    if command.currency and command.currency != currency:
        raise UserError(
            f"Order {order_name} was paid in {currency}, not {command.currency}: give the amount in {currency}."
        )
    if command.amount is not None:
        _check_decimals(command.amount, currency)


# -- amounts ----------------------------------------------------------------------------------------


def parse_amount(text: str, currency: str) -> Decimal:
    """An amount as typed ("12,50", "12.50 €", "1 234.5"); ValueError says what is wrong with it, in words."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").removesuffix(currency)
    try:
        amount = _amount(cleaned, shown=text)
        _check_decimals(amount, currency)
    except UserError as exc:
        raise ValueError(exc.message) from None
    return amount


def _amount(text: str, *, shown: str | None = None) -> Decimal:
    shown = (shown if shown is not None else text).strip()
    cleaned = text.replace("−", "-").strip("€")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # a decimal comma, as written in most of the Nordics and Baltics
    if not _DECIMAL.fullmatch(cleaned):  # no exponents, no NaN: what an agent types as money
        raise UserError(f"“{_clip(shown)}” is not an amount: write it like 12.50")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise UserError(f"“{_clip(shown)}” is not an amount: write it like 12.50") from None
    if amount <= 0:
        raise UserError(f"The amount must be more than zero, not “{_clip(shown)}”.")
    return amount


def _check_decimals(amount: Decimal, currency: str) -> None:
    digits = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-digits)):
        raise UserError(f"{currency} has {digits} decimals: {amount} has more.")


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


# -- the form ---------------------------------------------------------------------------------------


def limits_of(quote: RefundQuote) -> Limits:
    return Limits(
        currency=quote.currency,
        lines={li.line_item_id: (li.refundable_quantity, li.name) for li in quote.lines if li.refundable_quantity},
        shipping=quote.shipping_refundable.amount,
        maximum=quote.maximum.amount,
    )


def check_form(form: RefundForm, limits: Limits) -> dict[str, str]:
    """Field errors by field: "line:<line item id>", "lines", "shipping", "amount", "reason", "note". No I/O."""
    errors: dict[str, str] = {}
    cur = limits.currency
    for line_id, quantity in form.quantities.items():
        most, name = limits.lines.get(line_id, (0, "this item"))
        if quantity < 0 or quantity > most:
            errors[f"line:{line_id}"] = f"Only {f'{most} × {name}' if name else most} can still be refunded."
    if form.shipping < 0 or form.shipping > limits.shipping:
        errors["shipping"] = f"At most {Money(limits.shipping, cur)} of shipping can still be refunded."
    elif form.shipping != form.shipping.quantize(Decimal(1).scaleb(-minor_units(cur))):
        errors["shipping"] = f"{cur} has {minor_units(cur)} decimals: {form.shipping} has more."
    if not form.chosen and form.amount is None:
        errors["lines"] = "Choose at least one item or some shipping, or type an amount to refund on its own."
    if form.amount is not None:
        if form.amount > limits.maximum:
            errors["amount"] = f"Only {Money(limits.maximum, cur)} can still be refunded on this order."
        elif form.amount != form.amount.quantize(Decimal(1).scaleb(-minor_units(cur))):
            errors["amount"] = f"{cur} has {minor_units(cur)} decimals: {form.amount} has more."
    if form.reason not in REASONS:
        errors["reason"] = "Choose a reason." + (
            " An amount refunded on its own needs one." if form.amount_alone else ""
        )
    if len(form.note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    return errors


def choice_of(form: RefundForm, shipped: Mapping[str, int]) -> RefundChoice:
    """The store's view of the form: restocking shipped units returns them, unshipped ones are cancelled.
    `shipped`: line item id -> units shipped, as the store says."""
    lines = tuple(
        RefundLineChoice(line_id, quantity, _restock(form.restock, shipped.get(line_id, 0)))
        for line_id, quantity in form.quantities.items()
        if quantity > 0
    )
    return RefundChoice(lines, form.shipping)


def priced_choice(form: RefundForm) -> RefundChoice:
    """What to ask the store's price for: the chosen lines and shipping, or everything when an amount goes back on
    its own (that quote names the payments the amount can go back to). Restocking does not change a price."""
    if form.amount_alone:
        return RefundChoice(full=True)
    return RefundChoice(
        tuple(RefundLineChoice(line_id, q) for line_id, q in form.quantities.items() if q > 0), form.shipping
    )


def total_of(form: RefundForm, priced: RefundQuote) -> Money:
    return Money(form.amount, priced.currency) if form.amount is not None else priced.amount


def _restock(restock: bool, shipped: int) -> RestockType:
    if not restock:
        return RestockType.NO_RESTOCK
    return RestockType.RETURN if shipped > 0 else RestockType.CANCEL
