"""A fake Slack Web API on 127.0.0.1 for tests and the terminal client.

Point `slack_sdk.WebClient(base_url=fake.url)` at it. It answers with Slack's shapes, keeps messages, views
and files, validates every message and view with `validation.py`, records every call, and can be told to
fail or slow down.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import mimetypes
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .payloads import API_APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID
from .validation import BlockKitError, validate_message, validate_submission_ack, validate_view

log = logging.getLogger(__name__)

DEFAULT_SCOPES = "commands,chat:write,files:write,users:read,usergroups:read,channels:read,groups:read,im:write"
# Arguments slack_sdk sends as JSON strings inside form bodies.
_JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata", "user_auth_blocks")
_FIRST_TS = 1_700_000_000_000_100  # microseconds; ts values look like "1700000000.000100"


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


@dataclass
class _Reply:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int
    remaining: int


@dataclass
class _Upload:
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class _ResponseTarget:
    channel: str | None
    message_ts: str | None
    user: str | None


class FakeSlack:
    """The Slack Web API on an ephemeral 127.0.0.1 port, in a daemon thread. Use as a context manager."""

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
        self._uploads: dict[str, _Upload] = {}
        self._response_targets: dict[str, _ResponseTarget] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._counter = 0
        self._view_prefix = secrets.token_hex(2).upper()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.info": self._conversations_info,
            "conversations.replies": self._conversations_replies,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
        }

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """The server root, e.g. "http://127.0.0.1:PORT/"."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_port}/"  # _Server binds 127.0.0.1 only

    @property
    def url(self) -> str:
        """The Web API base URL for `WebClient(base_url=...)`; the trailing slash matters to urljoin."""
        return f"{self.root_url}api/"

    # -- inspection ------------------------------------------------------------------------------------------

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
            in_thread = [m for m in self._messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
            return copy.deepcopy(in_thread)

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

    # -- configuration ---------------------------------------------------------------------------------------

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
            self._response_targets[tag] = _ResponseTarget(channel, message_ts, user)
        return f"{self.root_url}response/{tag}"

    def fail_next(
        self, method: str, error: str = "ratelimited", status: int | None = None, retry_after: int = 1, times: int = 1
    ) -> None:
        """Make the next `times` calls to `method` fail: 429 + Retry-After for "ratelimited", else HTTP 200 ok:false."""
        if status is None:
            status = 429 if error == "ratelimited" else 200
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(error, status, retry_after, times))

    def delay(self, method: str, seconds: float) -> None:
        """Add latency to `method` ("*" for every call without its own delay); 0 removes it."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    # -- request handling (server threads) -------------------------------------------------------------------

    def _route(self, path: str, query: str, raw: bytes, headers: Any) -> _Reply:
        if path.startswith("/api/"):
            return self._handle_api(path.removeprefix("/api/"), query, raw, headers)
        if path.startswith("/upload/"):
            return self._handle_upload(path.removeprefix("/upload/"), raw)
        if path.startswith("/response/"):
            return self._handle_response_url(path.removeprefix("/response/"), raw)
        return _Reply(404, "not_found")

    def _handle_api(self, method: str, query: str, raw: bytes, headers: Any) -> _Reply:
        self._apply_delay(method)
        args: dict[str, Any] = {}
        try:
            args = _parse_args(query, raw, headers.get("Content-Type", ""))
            _check_auth(headers.get("Authorization"))
            self._raise_fault(method)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method", f"{method} is not implemented by FakeSlack", bug=True)
            with self._lock:
                reply = _Reply(200, {"ok": True, **handler(args)})
        except SlackError as exc:
            reply = self._error_reply(method, exc)
        reply.headers["x-oauth-scopes"] = self.scopes
        self._record(method, args, reply)
        return reply

    def _handle_upload(self, file_id: str, raw: bytes) -> _Reply:
        self._apply_delay("file_upload")
        args = {"file_id": file_id, "length": len(raw)}
        try:
            self._raise_fault("file_upload")
            with self._lock:
                upload = self._uploads.get(file_id)
                if upload is None:
                    raise SlackError("file_not_found", f"no upload URL was issued for {file_id}", status=404, bug=True)
                upload.content = raw
            reply = _Reply(200, f"OK - {len(raw)}")
        except SlackError as exc:
            reply = self._error_reply("file_upload", exc, as_text=True)
        self._record("file_upload", args, reply)
        return reply

    def _handle_response_url(self, tag: str, raw: bytes) -> _Reply:
        self._apply_delay("response_url")
        args: dict[str, Any] = {}
        try:
            args = _parse_args("", raw, "application/json")
            self._raise_fault("response_url")
            with self._lock:
                self._respond(tag, args)
            reply = _Reply(200, "ok")
        except SlackError as exc:
            reply = self._error_reply("response_url", exc, as_text=True)
        self._record("response_url", {**args, "tag": tag}, reply)
        return reply

    def _error_reply(self, method: str, exc: SlackError, *, as_text: bool = False) -> _Reply:
        if exc.bug:
            with self._lock:
                self._errors.append(f"{method}: {exc}")
        body: dict[str, Any] | str = exc.error if as_text else exc.body()
        status = 400 if as_text and exc.status == 200 else exc.status
        return _Reply(status, body, dict(exc.headers))

    def _apply_delay(self, method: str) -> None:
        with self._lock:
            seconds = self._delays.get(method, self._delays.get("*", 0))
        if seconds:
            time.sleep(seconds)

    def _raise_fault(self, method: str) -> None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
        raise SlackError(fault.error, status=fault.status, headers=headers)

    def _record(self, method: str, args: dict[str, Any], reply: _Reply) -> None:
        response = reply.body if isinstance(reply.body, dict) else {}
        call = Call(method, args, time.time(), response)
        with self._recorded:
            self._calls.append(call)
            self._recorded.notify_all()
        if self.on_call is not None:
            try:
                self.on_call(call)
            except Exception:  # a broken hook must not turn into a Slack failure seen by the app
                log.exception("FakeSlack on_call hook failed for %s", method)

    # -- Web API methods (called with the lock held) ---------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Returnbot Test",
            "user": self.users.get(self.bot_user_id, {}).get("name", "returnbot"),
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable_channel(args.get("channel"))
        _check_message(args)
        message = self._post(channel, _message_fields(args), args.get("thread_ts") or None)
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "channel", "user")
        channel = self._writable_channel(args["channel"])
        _check_message(args)
        ts = self._new_ts()
        fields = _message_fields(args)
        self._ephemeral.append({"channel": channel, "user": args["user"], "ts": ts, "type": "message", **fields})
        return {"message_ts": ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "channel", "ts")
        message = self._find_message(args["channel"], args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        _check_message(args)
        message.update(_message_fields(args))
        message["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        return {
            "channel": args["channel"],
            "ts": args["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "channel", "ts")
        message = self._find_message(args["channel"], args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        self._messages[args["channel"]].remove(message)
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "channel", "message_ts")
        channel = str(args["channel"])
        if channel in self.missing_channels:
            raise SlackError("channel_not_found")
        message = self._find_message(channel, str(args["message_ts"]))
        if message is None:
            raise SlackError("message_not_found")
        url = f"https://example.slack.com/archives/{channel}/p{message['ts'].replace('.', '')}"
        parent = message.get("thread_ts")
        if parent and parent != message["ts"]:  # a reply: Slack's link opens it in its thread
            url += f"?thread_ts={parent}&cid={channel}"
        return {"channel": channel, "permalink": url}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "channel")
        return {"channel": self._channel_info(args["channel"])}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "channel", "ts")
        self._channel_info(args["channel"])
        messages = self.thread(args["channel"], args["ts"])
        if not messages:
            raise SlackError("thread_not_found")
        return {"messages": messages, "has_more": False}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._take_trigger(args)
        view = _checked_view(args)
        external_id = view.get("external_id")
        if external_id and self._find_view(external_id=external_id):
            raise SlackError("duplicate_external_id")
        self._used_triggers.add(trigger_id)
        return {"view": self._store_view(view)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = self._take_trigger(args)
        view = _checked_view(args)
        self._used_triggers.add(trigger_id)
        return {"view": self._store_view(view)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("view_id") and not args.get("external_id"):
            raise SlackError("invalid_arguments", "view_id or external_id is required", bug=True)
        current = self._find_view(view_id=args.get("view_id"), external_id=args.get("external_id"))
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = _checked_view(args)
        return {"view": self._store_view(view, replacing=current)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """A user's Home tab: no trigger needed; one per user, replaced by each publish (hash: optimistic lock)."""
        _require(args, "user_id", "view")
        user = str(args["user_id"])
        if user not in self.users:
            raise SlackError("user_not_found")
        view = _checked_view(args)
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", "views.publish takes a view of type home", bug=True)
        current = self._views.get(self._homes.get(user, ""))
        if args.get("hash") and current is not None and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, replacing=current)
        self._homes[user] = stored["id"]
        return {"view": stored}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "filename", "length")
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            raise SlackError(
                "invalid_arguments", f"length must be an integer, got {args['length']!r}", bug=True
            ) from None
        file_id = f"F{self._next():010d}"
        self._uploads[file_id] = _Upload(args["filename"], length)
        return {"upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "files")
        channels = [c for c in [args.get("channel_id"), *str(args.get("channels") or "").split(",")] if c]
        for channel in channels:
            self._writable_channel(channel)
        wanted = args["files"] if isinstance(args["files"], list) else []
        if not wanted:
            raise SlackError("invalid_arguments", "files must be a JSON list of {id, title}", bug=True)
        shared = [self._complete_file(item, args, channels[0] if channels else None) for item in wanted]
        for channel in channels:
            self._post(
                channel,
                {"text": args.get("initial_comment") or "", "files": shared, "upload": True},
                args.get("thread_ts"),
            )
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "user")
        spec = self.users.get(args["user"])
        if spec is None:
            raise SlackError("user_not_found")
        return {"user": self._user_object(args["user"], spec)}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "usergroup")
        if self.usergroups_plan_upgrade_required:
            raise SlackError("plan_upgrade_required")
        if args["usergroup"] not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[args["usergroup"]])}

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

    def _take_trigger(self, args: dict[str, Any]) -> str:
        _require(args, "trigger_id", "view")
        if args["trigger_id"] in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        return str(args["trigger_id"])

    def _find_view(self, *, view_id: str | None = None, external_id: str | None = None) -> dict[str, Any] | None:
        if view_id:
            return self._views.get(view_id)
        return next((v for v in self._views.values() if external_id and v.get("external_id") == external_id), None)

    def _store_view(self, view: dict[str, Any], *, replacing: dict[str, Any] | None = None) -> dict[str, Any]:
        # unique across instances, as Slack's are: the bot dedupes form submissions by view id
        view_id = replacing["id"] if replacing else f"V{self._view_prefix}{self._next():06d}"
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": _with_block_ids(view["blocks"], view_id),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{1_700_000_000 + self._next()}.{hashlib.sha1(view_id.encode()).hexdigest()[:8]}",
            "title": view.get("title"),
            "clear_on_close": view.get("clear_on_close", False),
            "notify_on_close": view.get("notify_on_close", False),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": replacing["previous_view_id"] if replacing else None,
            "root_view_id": replacing["root_view_id"] if replacing else view_id,
            "app_id": API_APP_ID,
            "external_id": view.get("external_id") or (replacing or {}).get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        return copy.deepcopy(stored)

    def _complete_file(self, item: Any, args: dict[str, Any], channel: str | None) -> dict[str, Any]:
        file_id = str(item.get("id") or "") if isinstance(item, dict) else ""
        upload = self._uploads.get(file_id)
        if upload is None or upload.content is None:
            raise SlackError("file_not_found", f"{file_id} was not uploaded to its upload URL", bug=True)
        del self._uploads[file_id]
        title = item.get("title") or upload.filename
        self._files.append(
            File(
                file_id,
                upload.filename,
                title,
                upload.content,
                channel,
                args.get("thread_ts"),
                args.get("initial_comment"),
            )
        )
        return {
            "id": file_id,
            "created": int(time.time()),
            "name": upload.filename,
            "title": title,
            "mimetype": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
            "filetype": upload.filename.rpartition(".")[2] if "." in upload.filename else "binary",
            "user": self.bot_user_id,
            "size": len(upload.content),
            "url_private": f"{self.root_url}files/{file_id}/{upload.filename}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{self.bot_user_id}/{file_id}/{upload.filename}",
        }

    def _user_object(self, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        name = spec.get("name", user_id.lower())
        real_name = spec.get("real_name", name)
        profile = {"display_name": spec.get("display_name", name), "real_name": real_name}
        if spec.get("email"):  # Slack leaves it out without the users:read.email scope
            profile["email"] = spec["email"]
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": spec.get("tz", "Europe/Helsinki"),
            "is_bot": spec.get("is_bot", False),
            "profile": profile,
        }

    def _respond(self, tag: str, body: dict[str, Any]) -> None:
        """What Slack does with a response_url POST, for URLs minted by response_url() with a target."""
        if not _truthy(body.get("delete_original")):
            _check_message(body)
        target = self._response_targets.get(tag)
        if target is None or target.channel is None:
            return
        original = self._find_message(target.channel, target.message_ts) if target.message_ts else None
        if _truthy(body.get("delete_original")):
            if original is not None:
                self._messages[target.channel].remove(original)
        elif _truthy(body.get("replace_original")) and original is not None:
            # Unlike chat.update, replace_original swaps the whole content: absent blocks are gone.
            for name in ("blocks", "attachments"):
                original.pop(name, None)
            original.update(_message_fields(body))
        elif body.get("response_type") == "in_channel":
            self._post(target.channel, _message_fields(body), body.get("thread_ts"))
        else:
            fields = _message_fields(body)
            self._ephemeral.append({"channel": target.channel, "user": target.user, "ts": self._new_ts(), **fields})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections do not pin a thread forever
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall per call
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self._send(self.server.fake._route(url.path, url.query, raw, self.headers))

    def _send(self, reply: _Reply) -> None:
        if isinstance(reply.body, dict):
            payload, content_type = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        else:
            payload, content_type = reply.body.encode(), "text/plain; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep test and shell output clean
        pass


def _parse_args(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    """Arguments as Slack reads them: query string, then a JSON or form body; JSON-string fields decoded."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    text = raw.decode("utf-8", errors="replace")
    if content_type.startswith("application/json") or text.lstrip().startswith("{"):
        try:
            body = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise SlackError("invalid_json", str(exc), bug=True) from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json", "the body must be a JSON object", bug=True)
        args.update(body)
    elif text:
        args.update(parse_qsl(text, keep_blank_values=True))
    for name in _JSON_ARGS:
        if isinstance(args.get(name), str) and args[name].lstrip()[:1] in ("[", "{"):
            try:
                args[name] = json.loads(args[name])
            except json.JSONDecodeError:
                raise SlackError(f"invalid_{name}_format", f"{name} is not valid JSON", bug=True) from None
    return args


def _check_auth(authorization: str | None) -> None:
    if not authorization or not authorization.startswith("Bearer ") or not authorization[7:].strip():
        raise SlackError("not_authed", "no token: send Authorization: Bearer xoxb-...", bug=True)
    if not authorization[7:].startswith("xoxb-"):
        raise SlackError("invalid_auth", "FakeSlack accepts bot tokens (xoxb-...) only", bug=True)


def _require(args: dict[str, Any], *names: str) -> None:
    for name in names:
        if args.get(name) in (None, ""):
            raise SlackError("invalid_arguments", f"missing required field: {name}", bug=True)


def _check_message(args: dict[str, Any]) -> None:
    try:
        validate_message(args.get("text"), args.get("blocks"), attachments=args.get("attachments"))
    except BlockKitError as exc:
        raise SlackError(exc.code, str(exc), bug=True) from None


def _checked_view(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    try:
        validate_view(view)  # type: ignore[arg-type]
    except BlockKitError as exc:
        # Slack reports a bad view as invalid_arguments, not invalid_blocks.
        code = "invalid_arguments" if exc.code == "invalid_blocks" else exc.code
        raise SlackError(code, str(exc), bug=True) from None
    return view  # type: ignore[return-value]


def _message_fields(args: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"text": args.get("text") or ""}
    for name in ("blocks", "attachments", "metadata"):
        if args.get(name) is not None:
            fields[name] = (
                _with_block_ids(args[name], fields["text"]) if name == "blocks" else copy.deepcopy(args[name])
            )
    return fields


def _with_block_ids(blocks: list[dict[str, Any]], seed: str) -> list[dict[str, Any]]:
    """Slack gives every block without a block_id a short random one; these are stable per seed."""
    filled = copy.deepcopy(blocks)
    for index, block in enumerate(filled):
        if not block.get("block_id"):
            block["block_id"] = hashlib.sha1(f"{seed}/{index}".encode()).hexdigest()[:5]
    return filled


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")
