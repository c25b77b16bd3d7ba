"""Small helpers for Slack text."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

Block = dict[str, Any]  # one Block Kit block or element, as sent to Slack

SECTION_TEXT_MAX = 3000
MAX_SELECT_OPTIONS = 100  # Slack refuses a static select with more: larger quantities are typed into a number field
FIELD_TEXT_MAX = 2000


def escape(text: str) -> str:
    """Slack mrkdwn control characters; customer data must never become a link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, text: str) -> str:
    """`<url|text>` for an http(s) URL; anything else (a `javascript:` or Slack-special `<!…>` URL, a URL
    with markup in it) is shown as the escaped text alone, never as a link."""
    parsed = urlsplit(url.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc or any(c in url for c in "<>| \n"):
        return escape(text)
    return f"<{url.strip().replace('&', '&amp;')}|{escape(text)}>"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def date(value: datetime) -> str:
    """A Slack date token shows the time in each reader's own timezone; the fallback is UTC."""
    fallback = value.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_MAX)}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str, block_id: str | None = None) -> dict[str, Any]:
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_TEXT_MAX)}]}
    if block_id:
        block["block_id"] = block_id
    return block


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def option(value: str, label: str) -> Block:
    """One option of a select, radio group or checkbox list (Slack cuts option texts at 75 characters)."""
    return {"text": plain(label, 75), "value": value}


def text_input(
    block_id: str,
    label: str,
    value: str,
    *,
    action_id: str,
    optional: bool = False,
    multiline: bool = False,
    max_length: int = 200,
    hint: str = "",
    dispatch: bool = False,
) -> Block:
    """An input block with a plain-text field, prefilled with `value`; `dispatch` sends Enter to the app."""
    element: Block = {
        "type": "plain_text_input", "action_id": action_id, "multiline": multiline, "max_length": max_length,
    }  # fmt: skip
    if value:
        element["initial_value"] = value
    if dispatch:
        element["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element,
                    "optional": optional}  # fmt: skip
    if dispatch:
        block["dispatch_action"] = True
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def quantity_input(action_id: str, most: int, chosen: int, *, dispatch_on_enter: bool = False) -> Block:
    """A menu "0 of N" … "N of N" with `chosen` picked, or a number field where the menu would pass Slack's 100
    options; read back with `typed_quantity`."""
    chosen = min(max(chosen, 0), most)
    if most + 1 > MAX_SELECT_OPTIONS:
        element: Block = {
            "type": "number_input", "action_id": action_id, "is_decimal_allowed": False,
            "min_value": "0", "max_value": str(most), "initial_value": str(chosen),
        }  # fmt: skip
        if dispatch_on_enter:
            element["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
        return element
    options = [option(str(n), f"{n} of {most}") for n in range(most + 1)]
    return {"type": "static_select", "action_id": action_id, "options": options, "initial_option": options[chosen]}


def typed_quantity(entry: Block) -> str:
    """What a `quantity_input` holds in a view's state: the menu's choice or the number typed ("" for none)."""
    chosen = (entry.get("selected_option") or {}).get("value", entry.get("value"))
    return "" if chosen is None else str(chosen).strip()

