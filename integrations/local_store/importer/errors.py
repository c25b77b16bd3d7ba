"""What an import fails with: ImportFailed for a person to read (nothing was stored), and BadValue for one cell
that cannot be read, before the parser adds the line and the order to it."""

from __future__ import annotations


class ImportFailed(Exception):
    """The export could not be imported; nothing was stored. The message is fit to show a person."""

    def __init__(self, reason: str, *, line: int | None = None, column: str | None = None, order: str = "") -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.order = order
        super().__init__(_describe_problem(reason, line, column, order))


def _describe_problem(reason: str, line: int | None, column: str | None, order: str) -> str:
    where = f"line {line}" if line is not None else ""
    if order:
        where = f"{where} (order {order})" if where else f"order {order}"
    if column:
        where = f'{where}, column "{column}"' if where else f'column "{column}"'
    message = f"{where}: {reason}" if where else reason
    return message[:1].upper() + message[1:]


class BadValue(Exception):
    """A cell that cannot be read; the caller adds the line and the order."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
