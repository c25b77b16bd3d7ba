"""What an order's open refund requests hold: money, items and shipping asked for but not refunded yet.

The store's quote knows only refunds already made. A request waiting for a team lead (or approved and being
refunded) will take its share too, so a form opened beside it offers only what is left after it, and a request
made beside it is checked against that: two requests never promise the same money twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from domain.money import Money
from domain.refunds import RefundLineChoice, RefundQuote
from storage.refunds import RefundRequestView


@dataclass(frozen=True)
class Held:
    """The sum of the open requests of one order."""

    amount: Decimal = Decimal(0)
    shipping: Decimal = Decimal(0)
    lines: dict[str, int] = field(default_factory=dict)  # line item id -> units asked for

    @property
    def nothing(self) -> bool:
        return self.amount == 0 and self.shipping == 0 and not self.lines


def held_by(requests: Sequence[RefundRequestView]) -> Held:
    lines: dict[str, int] = {}
    for request in requests:
        for line in request.lines:
            lines[line.line_item_id] = lines.get(line.line_item_id, 0) + line.quantity
    return Held(
        amount=sum((r.amount for r in requests), Decimal(0)),
        shipping=sum((r.shipping for r in requests), Decimal(0)),
        lines=lines,
    )


def less_held(quote: RefundQuote, held: Held) -> RefundQuote:
    """The quote as what is left once the open requests are refunded: fewer units, less shipping and money."""
    if held.nothing:
        return quote
    cur = quote.currency
    lines = tuple(
        replace(line, refundable_quantity=max(line.refundable_quantity - held.lines.get(line.line_item_id, 0), 0))
        for line in quote.lines
    )
    # the quote's own total stays the store's price of the choice: above the maximum, the request says so
    return replace(
        quote,
        lines=lines,
        shipping_refundable=Money(max(quote.shipping_refundable.amount - held.shipping, Decimal(0)), cur),
        maximum=Money(max(quote.maximum.amount - held.amount, Decimal(0)), cur),
    )


def unheld(choices: Sequence[RefundLineChoice], held: Held) -> list[RefundLineChoice]:
    """`choices` less the units the open requests already ask for (a return's items, already requested)."""
    left = [replace(c, quantity=c.quantity - held.lines.get(c.line_item_id, 0)) for c in choices]
    return [c for c in left if c.quantity > 0]
