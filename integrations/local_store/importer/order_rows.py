"""Folding the file's rows into orders. Shopify writes one row per line item: the first row of an order carries the
order-level columns and the following rows of the same order (same `Name`) leave most of them empty. The rows of one
order must be next to each other, and an order's first row must come before its continuation rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from integrations.local_store.importer.columns import Columns
from integrations.local_store.importer.errors import ImportFailed

# Part of every content hash: bump it when the mapping from export rows to stored rows changes, so the
# next import rewrites every order instead of skipping it as unchanged.
FORMAT_VERSION = b"returnbot-orders-export/1\n"


@dataclass(slots=True)
class PendingOrder:
    """The rows of one order as read, until its last row has come."""

    name: str
    first_line: int
    rows: list[tuple[int, list[str]]]
    digest: Any  # hashlib sha256 object

    def add(self, line: int, raw: list[str], padded: list[str]) -> None:
        self.add_to(self.digest, raw)
        self.rows.append((line, padded))

    @staticmethod
    def add_to(digest: Any, raw: list[str]) -> None:
        """The content hash covers the cells as read: an order whose rows did not change is skipped."""
        digest.update(("\x1f".join(raw) + "\x1e").encode())


class OrderRows:
    """Takes the file's rows in turn and hands each order, once its last row has come, to `finish`."""

    def __init__(self, columns: Columns, finish: Callable[[PendingOrder], None]) -> None:
        self.c = columns
        self.finish = finish
        self.first_lines: dict[str, int] = {}  # order name -> the line its first row was on
        self.current: PendingOrder | None = None

    def take(self, line: int, raw: list[str]) -> None:
        """One non-empty row: added to the order being read, or the first row of the next one."""
        row = self.c.pad(raw)
        name = row[self.c.name].strip()
        if not name:
            raise ImportFailed("is empty; every row needs the name of its order, like #1001", line=line, column="Name")
        current = self.current
        if current is not None and name == current.name:
            current.add(line, raw, row)
            return
        if current is not None:
            self.finish(current)
        first_line = self.first_lines.get(name)
        if first_line is not None:
            raise ImportFailed(
                f"this order already came earlier in the file (from line {first_line}); "
                "the rows of one order must be next to each other (were two exports joined?)",
                line=line,
                order=name,
            )
        if not (row[self.c.financial_status].strip() or row[self.c.currency].strip() or row[self.c.total].strip()):
            raise ImportFailed(
                "this row continues an order whose first row (with Financial Status, Currency and Total) "
                "is not in the file before it",
                line=line,
                order=name,
            )
        self.first_lines[name] = line
        self.current = PendingOrder(name, line, [], hashlib.sha256(FORMAT_VERSION))
        self.current.add(line, raw, row)

    def end(self) -> None:
        """The file has ended: its last order is complete."""
        if self.current is not None:
            self.finish(self.current)
