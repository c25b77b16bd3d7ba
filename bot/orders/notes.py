"""What an order says about itself: its note (a gift message, "first item damaged…"), note attributes and tags.

On the card they are cut to a few lines (a message's text must stay far below Slack's limits, and the card is read
at a glance); the "Full note" button opens a modal with all of it, cut only where a modal's own limits are.
The customer wrote these: on the card they are escaped mrkdwn, in the modal plain text (nothing in them can
mention, link or format).
"""

from __future__ import annotations

import json

from bot.common.blocks import SECTION_TEXT_MAX, Block, escape, plain, section
from bot.common.ids import ActionId, BlockId
from domain.orders import Order

# the card: enough of a note to see what it is about
CARD_NOTE_CHARS = 400
CARD_NOTE_LINES = 6
CARD_ATTRIBUTES = 5
CARD_ATTRIBUTE_CHARS = 150
CARD_TAGS_CHARS = 300

# the modal: 100 blocks and 250 kB of JSON at most; a note past these is cut there, and says so
MODAL_NOTE_BLOCKS = 20
MODAL_JSON_BUDGET = 200_000
MODAL_ATTRIBUTES = 40
MODAL_ATTRIBUTE_CHARS = 2_000
TITLE = "Order note"


def note_section(order: Order) -> Block | None:
    """The card's note block (None when the order says nothing about itself); a "Full note" button when
    anything of the note or its attributes is left out."""
    parts: list[str] = []
    cut = False
    if order.note.strip():
        text, note_cut = _preview(order.note.strip())
        parts.append("*Note*\n" + "\n".join(f"> {line}" if line else ">" for line in text.split("\n")))
        cut |= note_cut
    if order.note_attributes:
        lines = [_attribute(key, value, CARD_ATTRIBUTE_CHARS) for key, value in order.note_attributes[:CARD_ATTRIBUTES]]
        hidden = len(order.note_attributes) - CARD_ATTRIBUTES
        if hidden > 0:
            lines.append(f"_…and {hidden} more_")
        parts.append("*Note attributes*\n" + "\n".join(lines))
        cut |= hidden > 0 or any(len(k) + len(v) > CARD_ATTRIBUTE_CHARS for k, v in order.note_attributes)
    if order.tags:
        tags, tags_cut = _escaped_prefix(", ".join(order.tags), CARD_TAGS_CHARS)
        parts.append(f"*Tags* {tags}{'…' if tags_cut else ''}")
    if not parts:
        return None
    block = section("\n".join(parts), BlockId.ORDER_NOTE)
    if cut:
        block["accessory"] = {
            "type": "button", "action_id": ActionId.ORDER_NOTE, "value": order.ref.id, "text": plain("Full note", 75),
        }  # fmt: skip
    return block


def note_modal(order: Order) -> Block:
    """The whole note as plain text, in blocks of at most a section's 3,000 characters, then every attribute."""
    blocks: list[Block] = [section(f"*Order {escape(order.name)}*")]
    chunks = _chunks(order.note.strip()) if order.note.strip() else []
    budget = MODAL_JSON_BUDGET
    shown = 0
    for chunk in chunks[:MODAL_NOTE_BLOCKS]:
        size = len(json.dumps(chunk))  # as Slack is sent it: non-ASCII escaped, 6 to 12 bytes a character
        if size > budget:
            break
        blocks.append({"type": "section", "text": plain(chunk, SECTION_TEXT_MAX)})
        budget -= size
        shown += len(chunk)
    if chunks and shown < len(order.note.strip()):
        blocks.append(section(f"_The note is cut here: {shown:,} of its {len(order.note.strip()):,} characters "
                              "are shown. The store keeps all of it._"))  # fmt: skip
    if not chunks:
        blocks.append(section("_No note._"))
    if order.note_attributes:
        lines = [
            _attribute(key, value, MODAL_ATTRIBUTE_CHARS) for key, value in order.note_attributes[:MODAL_ATTRIBUTES]
        ]
        hidden = len(order.note_attributes) - MODAL_ATTRIBUTES
        if hidden > 0:
            lines.append(f"_…and {hidden} more_")
        blocks.extend(_sections("*Note attributes*", lines))
    if order.tags:
        tags, tags_cut = _escaped_prefix(", ".join(order.tags), SECTION_TEXT_MAX - 20)
        blocks.append(section(f"*Tags* {tags}{'…' if tags_cut else ''}"))
    return {"type": "modal", "title": plain(TITLE, 24), "close": plain("Close", 24), "blocks": blocks}


def _preview(note: str) -> tuple[str, bool]:
    """The first lines of the note, escaped, within the card's budget; and whether anything was left out."""
    lines = note.split("\n")
    kept = "\n".join(line.rstrip() for line in lines[:CARD_NOTE_LINES])
    text, cut = _escaped_prefix(kept, CARD_NOTE_CHARS)
    cut |= len(lines) > CARD_NOTE_LINES
    return (text.rstrip() + "…" if cut else text), cut


def _attribute(key: str, value: str, limit: int) -> str:
    text, cut = _escaped_prefix(f"{key.strip()}: {value.strip()}" if key.strip() else value.strip(), limit)
    return f"• {text}{'…' if cut else ''}"


def _escaped_prefix(text: str, limit: int) -> tuple[str, bool]:
    """As much of `text` as fits in `limit` characters once escaped (an entity is never split), and whether it
    was cut."""
    out: list[str] = []
    used = 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit:
            return "".join(out), True
        out.append(piece)
        used += len(piece)
    return "".join(out), False


def _chunks(text: str) -> list[str]:
    """Pieces of at most a section's length, split at a line break where one is near the end."""
    chunks = []
    while text:
        if len(text) <= SECTION_TEXT_MAX:
            chunks.append(text)
            break
        at = text.rfind("\n", SECTION_TEXT_MAX // 2, SECTION_TEXT_MAX)
        at = at + 1 if at > 0 else SECTION_TEXT_MAX
        chunks.append(text[:at])
        text = text[at:]
    return chunks


def _sections(title: str, lines: list[str]) -> list[Block]:
    """Lines under a title, in as many sections as they need."""
    blocks: list[Block] = []
    current = title
    for line in lines:
        if len(current) + 1 + len(line) > SECTION_TEXT_MAX:
            blocks.append(section(current))
            current = line
        else:
            current += "\n" + line
    blocks.append(section(current))
    return blocks
