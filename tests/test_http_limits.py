"""What one client can hold of the HTTP server: stalled bodies hold no thread and are closed after the idle
timeout; connections are capped, and the ones past the cap are served once others close. And what the
bot's own background work can take from the acks: it runs at a lower OS priority.

Each test waits for the server to act (a socket closed, a response), never for a fixed time.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from bot.main.http_server import Limits
from bot.main.runtime import BACKGROUND_NICE, BackgroundPool
from tests.test_http_server import FORM, order_form, post, serving


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def _closed_by_server(sock: socket.socket) -> bool:
    """Blocks until the server closes `sock` (True), or 30 s pass (False); ignores what it sends first."""
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_stalled_bodies_hold_no_thread_and_are_closed_after_the_idle_timeout(tmp_path: Path) -> None:
    with serving(tmp_path, limits=Limits(threads=2, idle_timeout=1)) as served:
        head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: 500\r\n\r\n"
        stalled = []
        for _ in range(10):  # five times the threads: each stops in the middle of its body
            sock = _connect(served.url)
            sock.sendall(head.encode() + b"command=%2Forder&text=")
            stalled.append(sock)
        with served.http() as http:  # a real request still gets a thread at once
            assert post(http, order_form(served)).status_code == 200
        try:
            assert all(_closed_by_server(sock) for sock in stalled)
        finally:
            for sock in stalled:
                sock.close()
        served.settle()
        assert [c.method for c in served.fake.calls if c.method == "response_url"] == []  # no stalled one ran


def test_connections_past_the_cap_wait_until_idle_ones_are_closed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with serving(tmp_path, limits=Limits(connections=3, idle_timeout=1)) as served:
        idle = []
        for _ in range(3):  # three keep-alive connections, each answered once and then left open
            sock = _connect(served.url)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            idle.append(sock)
        try:
            with served.http() as http:  # the fourth: accepted only once the idle ones are closed
                assert http.get("/healthz").status_code == 200
            assert all(_closed_by_server(sock) for sock in idle)
        finally:
            for sock in idle:
                sock.close()
    assert any("reached the connection limit" in r.getMessage() for r in caplog.records)


def test_background_work_runs_below_the_request_threads() -> None:
    pool = BackgroundPool(workers=1)
    seen: list[int] = []
    try:
        assert pool.submit(lambda: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        assert pool.wait_idle(timeout=30)
    finally:
        pool.shutdown()
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen == [min(mine + BACKGROUND_NICE, 19)]  # the ack's thread keeps its priority
