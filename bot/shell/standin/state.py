"""What the fake Slack holds (workspace, messages, views, files, recorded calls) and the helpers that change it.

Every piece of FakeSlack builds on SlackState; the Web API methods run with `_lock` held.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable
from typing import Any

from .errors import SlackError
from .payloads import API_APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID
from .records import Call, Fault, File, ResponseTarget, Upload
from .transport import Server

DEFAULT_SCOPES = "commands,chat:write,files:write,users:read,usergroups:read,channels:read,groups:read,im:write"
_FIRST_TS = 1_700_000_000_000_100  # microseconds; ts values look like "1700000000.000100"

WebApiMethod = Callable[[dict[str, Any]], dict[str, Any]]


class SlackState:
    def __init__(
        self,
        *,
        on_call: Callable[[Call], None] | None = None,
        users: dict[str, dict[str, Any]] | None = None,
        usergroups: dict[str, list[str]] | None = None,
        channels: dict[str, dict[str, Any]] | None = None,
        scopes: str = DEFAULT_SCOPES,
        team_id: str = TEAM_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
    ) -> None:
        self.on_call = on_call
        self.scopes = scopes
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.users: dict[str, dict[str, Any]] = {bot_user_id: {"name": "returnbot", "is_bot": True}, **(users or {})}
        self.usergroups: dict[str, list[str]] = dict(usergroups or {})
        self.channels: dict[str, dict[str, Any]] = dict(channels or {})
        self.not_member_channels: set[str] = set()
        self.missing_channels: set[str] = set()
        self.usergroups_plan_upgrade_required = False

        self._lock = threading.RLock()
        self._recorded = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._errors: list[str] = []
        self._files: list[File] = []
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemeral: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._homes: dict[str, str] = {}  # user id -> the view id of their Home tab
        self._used_triggers: set[str] = set()
        self._uploads: dict[str, Upload] = {}
        self._response_targets: dict[str, ResponseTarget] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._delays: dict[str, float] = {}
        self._counter = 0
        self._view_prefix = secrets.token_hex(2).upper()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, WebApiMethod] = self._web_api_methods()

    def _web_api_methods(self) -> dict[str, WebApiMethod]:
        """The Web API methods answered, by name (FakeSlack lists them)."""
        raise NotImplementedError

    @property
    def root_url(self) -> str:
        """The server root, e.g. "http://127.0.0.1:PORT/"."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_port}/"  # Server binds 127.0.0.1 only

    @property
    def url(self) -> str:
        """The Web API base URL for `WebClient(base_url=...)`; the trailing slash matters to urljoin."""
        return f"{self.root_url}api/"

    # -- state helpers (lock held) ---------------------------------------------------------------------------

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _new_ts(self) -> str:
        micros = _FIRST_TS + 100 * self._next()
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _post(self, channel: str, fields: dict[str, Any], thread_ts: str | None) -> dict[str, Any]:
        ts = self._new_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": API_APP_ID,
            "team": self.team_id,
            "ts": ts,
            **fields,
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
            self._note_reply(channel, thread_ts, ts)
        self._messages.setdefault(channel, []).append(message)
        return message

    def _note_reply(self, channel: str, thread_ts: str, reply_ts: str) -> None:
        parent = self._find_message(channel, thread_ts)
        if parent is not None:
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = reply_ts

    def _find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)

    def _thread_messages(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Copies of the parent message `ts` and its replies, oldest first."""
        in_thread = [m for m in self._messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        return copy.deepcopy(in_thread)

    def _channel_info(self, channel: str) -> dict[str, Any]:
        known = self.channels.get(channel)
        if channel in self.missing_channels or (known is None and not channel.startswith(("C", "G"))):
            raise SlackError("channel_not_found")
        info = {
            "id": channel,
            "name": f"channel-{channel.lower()}",
            "is_channel": True,
            "is_private": channel.startswith("G"),
            "is_archived": False,
            "is_member": channel not in self.not_member_channels,
        }
        return {**info, **(known or {}), "id": channel}

    def _writable_channel(self, channel: Any) -> str:
        if not channel or not isinstance(channel, str) or channel in self.missing_channels:
            raise SlackError("channel_not_found")
        if channel in self.not_member_channels or self.channels.get(channel, {}).get("is_member") is False:
            raise SlackError("not_in_channel")
        if self.channels.get(channel, {}).get("is_archived"):
            raise SlackError("is_archived")
        return channel
