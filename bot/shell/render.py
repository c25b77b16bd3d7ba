"""Block Kit as terminal text: sections, fields and context as lines, buttons numbered."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^>|]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]+)>")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")  # `users` maps channel ids to names too
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)_(?![\w_])")


@dataclass(frozen=True)
class Clickable:
    """One thing the person can press: a button, or one option of an overflow menu."""

    label: str
    message: dict[str, Any]  # the message the element lives in (ts, blocks, channel, ephemeral flag)
    block_id: str
    element: dict[str, Any]
    option: dict[str, Any] | None = None


@dataclass
class Rendered:
    lines: list[str] = field(default_factory=list)
    clickables: list[Clickable] = field(default_factory=list)


def mrkdwn(text: str, users: dict[str, str] | None = None, *, bold: bool = False) -> str:
    users = users or {}
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _USER.sub(lambda m: "@" + users.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or users.get(m.group(1), m.group(1))), text)
    text = _BOLD.sub((lambda m: f"\033[1m{m.group(1)}\033[0m") if bold else r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    return html.unescape(text)


def _text(obj: dict[str, Any] | None, users: dict[str, str], bold: bool) -> str:
    if not obj:
        return ""
    return mrkdwn(obj.get("text", ""), users, bold=bold) if obj.get("type") == "mrkdwn" else obj.get("text", "")


def render_message(message: dict[str, Any], *, users: dict[str, str], number_from: int, bold: bool = False) -> Rendered:
    out = Rendered()
    blocks: list[dict[str, Any]] = message.get("blocks") or []
    if not blocks:
        out.lines.extend(mrkdwn(message.get("text", ""), users, bold=bold).splitlines())
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            out.lines.append(f"\033[1m{title}\033[0m" if bold else title.upper())
        elif kind == "section":
            if block.get("text"):
                out.lines.extend(_text(block["text"], users, bold).splitlines())
            for f in block.get("fields") or []:
                label, _, value = _text(f, users, bold).partition("\n")
                out.lines.append(f"{label}: {value.replace(chr(10), ' · ')}" if value else label)
            if block.get("accessory"):
                _element(out, message, block.get("block_id", ""), block["accessory"], number_from)
        elif kind == "context":
            out.lines.append("  " + " ".join(_text(e, users, bold) for e in block.get("elements", []) if "text" in e))
        elif kind == "divider":
            out.lines.append("─" * 40)
        elif kind == "actions":
            for element in block.get("elements", []):
                _element(out, message, block.get("block_id", ""), element, number_from)
        elif kind == "file":
            out.lines.append("[file]")
    return out


def _element(out: Rendered, message: dict[str, Any], block_id: str, element: dict[str, Any], number_from: int) -> None:
    if element.get("type") == "button":
        label = element["text"]["text"]
        number = number_from + len(out.clickables)
        out.clickables.append(Clickable(label, message, block_id, element))
        out.lines.append(f"  [{number}] {label}")
    elif element.get("type") in ("overflow", "static_select"):
        for option in element.get("options", []):
            label = option["text"]["text"]
            number = number_from + len(out.clickables)
            out.clickables.append(Clickable(label, message, block_id, element, option))
            out.lines.append(f"  [{number}] {label}")
