"""One cell's text read as what the export means by it: an amount, a time, a flag, an order number; a cell that
cannot be read raises BadValue naming its column."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from integrations.local_store.importer.errors import BadValue

_AMOUNT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DIGITS = re.compile(r"[0-9]+")
ZERO = Decimal("0.00")
_FLAGS = {"": True, "true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_MAX_INT = 2**31 - 1
_TIME_EXAMPLE = "2025-05-11 09:55:16 -0400"


class Amounts:
    """Amounts repeat a lot in an export (0.00, the same prices): each text is parsed once."""

    def __init__(self) -> None:
        self._seen: dict[str, Decimal] = {}

    def __call__(self, value: str, column: str, *, required: bool = False) -> Decimal:
        parsed = self._seen.get(value)
        if parsed is not None:
            return parsed
        text = value.strip()
        if not text:
            if required:
                raise BadValue(column, "is empty; expected an amount like 12.50")
            return ZERO
        if _AMOUNT.fullmatch(text) is None:
            raise BadValue(column, f'"{clip(text)}" is not an amount like 12.50')
        parsed = Decimal(text)
        if len(self._seen) < 100_000:
            self._seen[value] = parsed
        return parsed


def parse_time(value: str, column: str, *, required: bool = False) -> datetime | None:
    text = value.strip()
    if not text:
        if required:
            raise BadValue(column, f"is empty; expected a time like {_TIME_EXAMPLE}")
        return None
    # Shopify's `2025-05-11 09:55:16 -0400` is ISO 8601 but for the space before the offset; without it
    # fromisoformat reads it, some twenty times faster than strptime
    if len(text) == 25 and text[19] == " ":
        text = text[:19] + text[20:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadValue(column, f'"{clip(value.strip())}" is not a time like {_TIME_EXAMPLE}')
    return parsed


def parse_flag(value: str, column: str) -> bool:
    parsed = _FLAGS.get(value.strip().lower())  # empty: Shopify's default, true
    if parsed is None:
        raise BadValue(column, f'"{clip(value.strip())}" is not true or false')
    return parsed


def fits(value: str, limit: int, column: str) -> str:
    if len(value) > limit:
        raise BadValue(column, f"is {len(value)} characters long; at most {limit} fit")
    return value


def clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def order_number(name: str) -> int | None:
    """`#1001` -> 1001; with a prefix or suffix configured in Shopify the last run of digits is the number."""
    runs = _DIGITS.findall(name)
    if not runs:
        return None
    number = int(runs[-1])
    return number if number <= _MAX_INT else None
