"""Money: a Decimal amount with an ISO 4217 currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Minor units per ISO 4217 for the currencies a Nordic/Baltic shop meets; anything else has 2.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3, "TND": 3}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


@dataclass(frozen=True, order=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amount must be Decimal, not {type(self.amount).__name__}")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO currency code: {self.currency!r}")

    @classmethod
    def parse(cls, text: str | Decimal | int, currency: str) -> Money:
        try:
            amount = text if isinstance(text, Decimal) else Decimal(str(text).strip() or "0")
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {text!r}") from exc
        if not amount.is_finite():
            raise ValueError(f"not an amount: {text!r}")
        return cls(amount, currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency.upper())

    def quantized(self) -> Money:
        exp = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(exp, rounding=ROUND_HALF_UP), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money(self.amount * factor, self.currency)

    def is_zero(self) -> bool:
        return self.amount == 0

    def format(self) -> str:
        """`1,234.50 EUR`: one unambiguous style in Slack whatever the agent's locale."""
        q = self.quantized().amount
        return f"{q:,.{minor_units(self.currency)}f} {self.currency}"

    def __str__(self) -> str:
        return self.format()
