"""Errors a workflow raises for a person to read."""

from __future__ import annotations


class UserError(Exception):
    """Something the agent can fix or should know; `message` is shown as is (Slack mrkdwn)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
