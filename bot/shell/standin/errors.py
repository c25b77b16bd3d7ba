"""SlackError: an `ok: false` answer from the fake Slack Web API."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """An `ok: false` answer. `bug` marks errors that mean the app sent something wrong (see FakeSlack.errors)."""

    def __init__(
        self,
        error: str,
        detail: str | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        bug: bool = False,
    ) -> None:
        super().__init__(f"{error}: {detail}" if detail else error)
        self.error = error
        self.detail = detail
        self.status = status
        self.headers = headers or {}
        self.bug = bug

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.detail:
            body["errors"] = [self.detail]
            body["response_metadata"] = {"messages": [f"[ERROR] {self.detail}"]}
        return body
