"""What the fake Slack keeps besides messages and views: recorded calls, shared files, and its own bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request the fake received; `response` is what it answered (the JSON body, or {} for text)."""

    method: str
    args: dict[str, Any]
    at: float
    response: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class File:
    id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    thread_ts: str | None
    initial_comment: str | None


@dataclass
class Fault:
    """A failure queued by FakeSlack.fail_next for the next `remaining` calls."""

    error: str
    status: int
    retry_after: int
    remaining: int


@dataclass
class Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    filename: str
    length: int
    content: bytes | None = None


@dataclass
class ResponseTarget:
    """Where a minted response_url posts to: the message replace/delete act on, the user ephemerals go to."""

    channel: str | None
    message_ts: str | None
    user: str | None
