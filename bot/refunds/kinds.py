"""How the approval messages speak of requests that are not refunds (a replacement, a cancellation).

The refund machinery carries every kind of request (commands.approved_work); its Slack messages (bot.refunds.messages)
say the same things of every kind, in the kind's words: a refund's are `messages.REFUND_WORDS`, any other kind's its
describer's. A feature registers its describer in
its `register(app, ctx)` (bot.replacements.handlers, bot.cancellations.handlers): the feature's package imports this
one, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.common.context import BotContext
from commands.refunds import RefundRequestView
from domain.refunds import RequestKind


@dataclass(frozen=True)
class Describer:
    """The words of one kind. Every string is mrkdwn of the describer's own: customer and shop text escaped."""

    noun: str  # "Replacement": "Replacement request #7", "replacement of 49.90 EUR"
    facts: Callable[[RefundRequestView], list[str]]  # what is asked for, lines of the approval message (items ...)
    done: Callable[[RefundRequestView], str]  # what was made, once it succeeded ("Replacement #1030 created: …")
    working: str = "working on it…"  # while it is carried out ("creating the replacement order…")
    # what else the kind shows once its request has moved on (a cancelled order's card redrawn at once)
    after: Callable[[BotContext, WebClient, RefundRequestView], None] | None = None


_DESCRIBERS: dict[RequestKind, Describer] = {}


def describe_with(kind: RequestKind, describer: Describer) -> None:
    """Register the words of `kind` (again: the same describer, as when the app is built twice in tests)."""
    if kind is RequestKind.REFUND:
        raise ValueError("refunds are described by bot.refunds.messages itself")
    _DESCRIBERS[kind] = describer


def describer_of(kind: RequestKind) -> Describer:
    """The kind's describer; plain words when none is registered (never an empty message)."""
    return _DESCRIBERS.get(kind) or Describer(
        noun=kind.value.capitalize(), facts=lambda _request: [], done=lambda r: f"Done: `{r.store_refund_id}`."
    )
