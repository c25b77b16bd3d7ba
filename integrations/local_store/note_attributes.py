"""The orders export's "Note Attributes" cell: one `key: value` a line, as Shopify writes the order's
customAttributes (a gift message, a delivery wish). A line without a colon continues the value before it."""

from __future__ import annotations


def parse_note_attributes(text: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        key, colon, value = line.partition(":")
        if colon and key.strip():
            pairs.append((key.strip(), value.strip()))
        elif line.strip() and pairs:
            key, before = pairs[-1]
            pairs[-1] = (key, f"{before}\n{line.strip()}" if before else line.strip())
        elif line.strip():
            pairs.append(("", line.strip()))
    return tuple(pairs)
