"""What tests and the terminal client read back from the fake Slack: calls, errors, messages, views, files."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from .records import Call, File
from .state import SlackState
from .validation import validate_submission_ack


class Inspection(SlackState):
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def clear(self) -> None:
        """Forget recorded calls and errors; messages, views and files stay."""
        with self._lock:
            self._calls.clear()
            self._errors.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Block until `method` was called `count` times (for work on background threads); return those calls."""
        deadline = time.monotonic() + timeout
        with self._recorded:
            while len(found := self.calls_to(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self._calls]
                    raise AssertionError(f"expected {count} call(s) to {method} within {timeout}s; got {seen}")
                self._recorded.wait(left)
            return found

    @property
    def errors(self) -> list[str]:
        """Requests Slack would reject because the app got them wrong (invalid blocks, missing args, auth)."""
        with self._lock:
            return list(self._errors)

    def check_submission_ack(self, payload: dict[str, Any], ack_body: str) -> None:
        """The app's answer to a view_submission reaches Slack in the HTTP response, not through this server:
        whoever delivered the submission hands the answer here, and what Slack would refuse joins `errors`."""
        try:
            ack = json.loads(ack_body) if ack_body.strip() else None
            validate_submission_ack(ack, payload.get("view"))
        except ValueError as exc:  # BlockKitError included
            with self._lock:
                self._errors.append(f"view_submission ack: {exc}")

    def assert_no_errors(self) -> None:
        errors = self.errors
        if errors:
            raise AssertionError("Slack rejected requests:\n" + "\n".join(errors))

    @property
    def files(self) -> list[File]:
        with self._lock:
            return list(self._files)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Open views by id, as Slack returned them."""
        with self._lock:
            return copy.deepcopy(self._views)

    def home(self, user: str) -> dict[str, Any] | None:
        """The Home tab the app last published for `user` (views.publish), as Slack returned it."""
        with self._lock:
            view_id = self._homes.get(user)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in `channel` (thread replies included), oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel, []))

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._find_message(channel, ts)
            return copy.deepcopy(found) if found else None

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent message `ts` followed by its replies, oldest first (like conversations.replies)."""
        with self._lock:
            return self._thread_messages(channel, ts)

    def ephemeral_messages(self, channel: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages (chat.postEphemeral and ephemeral respond()), each with `channel` and `user`."""
        with self._lock:
            return copy.deepcopy(
                [
                    m
                    for m in self._ephemeral
                    if (channel is None or m["channel"] == channel) and (user is None or m["user"] == user)
                ]
            )
