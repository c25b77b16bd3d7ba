"""Serving the fake Slack: start and stop, routing each request, injected faults and delays, recording calls."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Self

from .arguments import check_auth, parse_args
from .errors import SlackError
from .records import Call, Fault
from .response_urls import ResponseUrls
from .transport import Reply, Server

log = logging.getLogger(__name__)


class Serving(ResponseUrls):
    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is None:
            self._server = Server(self)
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------------------------------

    def fail_next(
        self, method: str, error: str = "ratelimited", status: int | None = None, retry_after: int = 1, times: int = 1
    ) -> None:
        """Make the next `times` calls to `method` fail: 429 + Retry-After for "ratelimited", else HTTP 200 ok:false."""
        if status is None:
            status = 429 if error == "ratelimited" else 200
        with self._lock:
            self._faults.setdefault(method, []).append(Fault(error, status, retry_after, times))

    def delay(self, method: str, seconds: float) -> None:
        """Add latency to `method` ("*" for every call without its own delay); 0 removes it."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    # -- request handling (server threads) -------------------------------------------------------------------

    def _route(self, path: str, query: str, raw: bytes, headers: Any) -> Reply:
        if path.startswith("/api/"):
            return self._handle_api(path.removeprefix("/api/"), query, raw, headers)
        if path.startswith("/upload/"):
            return self._handle_upload(path.removeprefix("/upload/"), raw)
        if path.startswith("/response/"):
            return self._handle_response_url(path.removeprefix("/response/"), raw)
        return Reply(404, "not_found")

    def _handle_api(self, method: str, query: str, raw: bytes, headers: Any) -> Reply:
        self._apply_delay(method)
        args: dict[str, Any] = {}
        try:
            args = parse_args(query, raw, headers.get("Content-Type", ""))
            check_auth(headers.get("Authorization"))
            self._raise_fault(method)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method", f"{method} is not implemented by FakeSlack", bug=True)
            with self._lock:
                reply = Reply(200, {"ok": True, **handler(args)})
        except SlackError as exc:
            reply = self._error_reply(method, exc)
        reply.headers["x-oauth-scopes"] = self.scopes
        self._record(method, args, reply)
        return reply

    def _handle_upload(self, file_id: str, raw: bytes) -> Reply:
        self._apply_delay("file_upload")
        args = {"file_id": file_id, "length": len(raw)}
        try:
            self._raise_fault("file_upload")
            with self._lock:
                upload = self._uploads.get(file_id)
                if upload is None:
                    raise SlackError("file_not_found", f"no upload URL was issued for {file_id}", status=404, bug=True)
                upload.content = raw
            reply = Reply(200, f"OK - {len(raw)}")
        except SlackError as exc:
            reply = self._error_reply("file_upload", exc, as_text=True)
        self._record("file_upload", args, reply)
        return reply

    def _handle_response_url(self, tag: str, raw: bytes) -> Reply:
        self._apply_delay("response_url")
        args: dict[str, Any] = {}
        try:
            args = parse_args("", raw, "application/json")
            self._raise_fault("response_url")
            with self._lock:
                self._respond(tag, args)
            reply = Reply(200, "ok")
        except SlackError as exc:
            reply = self._error_reply("response_url", exc, as_text=True)
        self._record("response_url", {**args, "tag": tag}, reply)
        return reply

    def _error_reply(self, method: str, exc: SlackError, *, as_text: bool = False) -> Reply:
        if exc.bug:
            with self._lock:
                self._errors.append(f"{method}: {exc}")
        body: dict[str, Any] | str = exc.error if as_text else exc.body()
        status = 400 if as_text and exc.status == 200 else exc.status
        return Reply(status, body, dict(exc.headers))

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

    def _record(self, method: str, args: dict[str, Any], reply: Reply) -> None:
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
