"""What an import reports: how far it has read while it runs, and what it did when it is done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# progress(rows read, bytes of the file read so far); None for a stream, whose size is not known
Progress = Callable[[int, int | None], None]


@dataclass
class ImportSummary:
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    line_items: int = 0  # line items written by this import (an unchanged order's are left as they were)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    rows: int = 0  # data rows read, skipped ones included

    @property
    def orders(self) -> int:
        return self.orders_created + self.orders_updated + self.orders_unchanged

    def describe(self) -> str:
        if not self.orders:
            text = "No orders in the file"
        else:
            text = (
                f"{_plural(self.orders, 'order')}: {self.orders_created} new, {self.orders_updated} updated, "
                f"{self.orders_unchanged} unchanged; {_plural(self.line_items, 'line item')} written"
            )
        if self.skipped_rows:
            lines = ", ".join(str(line) for line, _ in self.skipped_rows[:5])
            more = ", …" if len(self.skipped_rows) > 5 else ""
            text += f"; {_plural(len(self.skipped_rows), 'row')} skipped (line {lines}{more})"
        return text + "."


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
