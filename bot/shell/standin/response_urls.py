"""response_url: minting one for a payload, and what Slack does with a POST to it."""

from __future__ import annotations

from typing import Any

from .arguments import check_message, message_fields, truthy
from .records import ResponseTarget
from .state import SlackState


class ResponseUrls(SlackState):
    def response_url(
        self,
        tag: str | None = None,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        user: str | None = None,
    ) -> str:
        """Mint a response_url for a payload; with channel/message_ts, replace/delete act on that message."""
        with self._lock:
            tag = tag or f"r{self._next()}"
            self._response_targets[tag] = ResponseTarget(channel, message_ts, user)
        return f"{self.root_url}response/{tag}"

    def _respond(self, tag: str, body: dict[str, Any]) -> None:
        """What Slack does with a response_url POST, for URLs minted by response_url() with a target."""
        if not truthy(body.get("delete_original")):
            check_message(body)
        target = self._response_targets.get(tag)
        if target is None or target.channel is None:
            return
        original = self._find_message(target.channel, target.message_ts) if target.message_ts else None
        if truthy(body.get("delete_original")):
            if original is not None:
                self._messages[target.channel].remove(original)
        elif truthy(body.get("replace_original")) and original is not None:
            # Unlike chat.update, replace_original swaps the whole content: absent blocks are gone.
            for name in ("blocks", "attachments"):
                original.pop(name, None)
            original.update(message_fields(body))
        elif body.get("response_type") == "in_channel":
            self._post(target.channel, message_fields(body), body.get("thread_ts"))
        else:
            fields = message_fields(body)
            self._ephemeral.append({"channel": target.channel, "user": target.user, "ts": self._new_ts(), **fields})
