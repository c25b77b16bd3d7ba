"""Posting into Slack from background work, and telling the agent what went wrong in words."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.blocks import Block, section
from bot.common.worker import WorkerPool
from commands.errors import UserError

log = logging.getLogger(__name__)

BUSY = "The bot is very busy right now and could not take that on. Please try again in a moment."
FAILED = "Something went wrong on our side while doing that. It has been logged; please try again."

# Slack's reasons for refusing a post into a channel, in words an agent can act on
_CANNOT_POST = {
    "not_in_channel": "I'm not a member of this channel: invite me with `/invite @returnbot`",
    "channel_not_found": "I can't see this channel (a private channel or a DM I'm not part of): invite me first",
    "is_archived": "this channel is archived",
    "restricted_action": "posting in this channel is restricted by the workspace",
    "restricted_action_read_only_channel": "this channel is read-only",
    "ekm_access_denied": "the workspace's key management denies access to this channel",
}


def cannot_post_reason(error: SlackApiError) -> str | None:
    return _CANNOT_POST.get(str(error.response.get("error", "")))


def post_in_channel(
    client: WebClient, respond: Respond, channel: str, text: str, blocks: list[Block], *, replace_original: bool = False
) -> str | None:
    """Post a message; when the bot may not post there, show it to the agent alone with the reason.

    Returns the new message's ts, or None when it was shown only to the agent.
    """
    try:
        return str(client.chat_postMessage(channel=channel, text=text, blocks=blocks)["ts"])
    except SlackApiError as exc:
        reason = cannot_post_reason(exc)
        if reason is None:
            raise
    note = f"I couldn't post this in the channel: {reason}. Only you can see it below."
    respond(
        text=f"{note}\n{text}",
        blocks=[section(f":warning: {note}"), *blocks],
        response_type="ephemeral",
        replace_original=replace_original,
    )
    return None


Tell = Callable[[str], None]  # how to tell the person who pressed something: ephemerally, or on their Home tab


def ephemeral(respond: Respond) -> Tell:
    """Tell in an ephemeral message where the person pressed or typed."""

    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    return tell


def queue(
    worker: WorkerPool, ack: Ack, respond: Respond, job: Callable[[], None], *, busy_in_ack: bool = False
) -> None:
    """The one way a handler hands slow work to the worker pool: queue it, then ack within Slack's 3 s.

    When the pool is full nothing is queued and the agent is told at once: in the ack itself for a slash
    command (`busy_in_ack`: the answer shows where the command was typed), ephemerally for a button.
    """
    if in_background(worker, respond, job):
        ack()
    elif busy_in_ack:
        ack(text=BUSY)
    else:
        ack()
        respond(text=BUSY, response_type="ephemeral", replace_original=False)


def bind(ctx: object, handler: Callable[..., None]) -> Callable[..., None]:
    """`handler(ctx, ack, body, …)` as a Bolt listener: Bolt passes what the remaining parameters name."""
    listener = partial(handler, ctx)
    listener.__name__ = handler.__name__  # type: ignore[attr-defined]  # Bolt logs listeners by name
    return listener


def in_background(worker: WorkerPool, respond: Respond, job: Callable[[], None]) -> bool:
    """Queue `job`; its UserErrors reach the agent as ephemeral messages, anything else is logged.

    Returns False when the pool is full (the caller answers with BUSY in its ack).
    """

    def guarded() -> None:
        try:
            job()
        except UserError as exc:
            respond(text=exc.message, response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("background work failed")
            try:
                respond(text=FAILED, response_type="ephemeral", replace_original=False)
            except Exception:
                log.exception("could not tell the agent about the failure")

    return worker.submit(guarded)
