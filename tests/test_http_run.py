"""`returnbot run --http` as it is deployed: real processes, two instances on one database, stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.shell.standin import FakeSlack, slash_command_form
from integrations.local_store.seed import seed_demo_orders
from storage.db import Database, make_engine
from tests.test_http_server import SECRET, post, wait_until_healthy

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "STORE", "SHOPIFY_"))}


@dataclass
class Instance:
    proc: subprocess.Popen[str]
    url: str
    log: queue.Queue[str]


@contextmanager
def instance(tmp_path: Path, db_url: str, slack: FakeSlack) -> Iterator[Instance]:
    env = {
        **CLEAN, "DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
    }  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.main.cli", "run", "--http", "--port", "0", "--host", "127.0.0.1"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:  # the whole of stderr, so that the pipe never fills
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    try:
        url = ""
        while not url:
            line = lines.get(timeout=60)
            assert line, "returnbot run exited before it listened"
            if m := re.search(r"listening on (http://[\d.]+:\d+)/slack/events", line):
                url = m.group(1)
        wait_until_healthy(url)
        yield Instance(proc, url, lines)
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_two_instances_serve_as_one_and_stop_cleanly_on_sigterm(db_url: str, tmp_path: Path) -> None:
    db = Database(make_engine(db_url))
    seed_demo_orders(db)
    db.dispose()
    with FakeSlack() as slack, instance(tmp_path, db_url, slack) as a, instance(tmp_path, db_url, slack) as b:
        assert a.url != b.url
        for number, served_by in (("#1001", a), ("#1002", b)):
            body = slash_command_form("/order", number, "U0AGENT01", "C0SUPPORT1", slack.response_url())
            with httpx.Client(base_url=served_by.url, timeout=20) as http:
                assert post(http, body).status_code == 200
                assert http.post("/slack/events", content=body.encode()).status_code == 401
        cards = slack.wait_for("chat.postMessage", 2)
        assert {n for n in ("#1001", "#1002") for c in cards if n in json.dumps(c.args)} == {"#1001", "#1002"}
        for inst in (a, b):
            inst.proc.terminate()  # SIGTERM, as a process manager stops it
            assert inst.proc.wait(timeout=30) == 0
    stderr = "".join(_drain(a.log) + _drain(b.log))
    assert "Traceback" not in stderr


def _drain(lines: queue.Queue[str]) -> list[str]:
    out = []
    while not lines.empty():
        out.append(lines.get_nowait())
    return out
