"""Modals that only say something: opened at once while the trigger is fresh, then replaced by the form."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.common.blocks import Block, plain, section


def message_modal(title: str, text: str) -> Block:
    """A modal with only a message: loading, working, done or failed."""
    return {"type": "modal", "title": plain(title, 24), "close": plain("Close", 24), "blocks": [section(text)]}


def open_loading(client: WebClient, trigger_id: str, title: str) -> str:
    """Open the modal at once, while the trigger is fresh (about 3 s); the form follows with `views.update`."""
    opened = client.views_open(trigger_id=trigger_id, view=message_modal(title, "⏳ Reading the order…"))
    return str(opened["view"]["id"])
