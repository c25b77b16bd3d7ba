"""Ack latency in HTTP mode: signed `/order` requests, 20 in flight, time to HTTP 200.

The bot is compared with a bare Bolt app that only acks, served by the same HTTP server, in the same
run, each in its own process (the load generator runs here). The bot's requests start real lookups on
its worker pool, which post cards to a fake Slack in the bot's process: acks compete with that work.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.report import ms, percentile, ratio, table
from bot.shell.standin import signed_headers, slash_command_form

SECRET = "bench-secret"
QUERIES = ["#1001", "1002", "jani berz", "oie.tamm@example.com", "CC403188270EE", "liisa", "#9999", "åsa"]


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ack_server", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"{args[0]} server did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def _load(url: str, requests: int, in_flight: int) -> list[float]:
    def one(i: int) -> float:
        body = slash_command_form("/order", QUERIES[i % len(QUERIES)], "U0BENCH", "C0BENCH", "http://127.0.0.1:9/r")
        headers = signed_headers(SECRET, body)
        start = time.perf_counter()
        response = client.post("/slack/events", content=body.encode(), headers=headers)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        return elapsed

    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    with httpx.Client(base_url=url, limits=limits, timeout=10) as client, ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(one, range(in_flight * 2)))  # warm-up: connections, first auth.test, imports
        return list(pool.map(one, range(requests)))


def run(quick: bool = False) -> None:
    requests = 100 if quick else 400
    in_flight = 20
    samples: dict[str, list[float]] = {"bare": [], "bare-default": [], "app": []}
    slack, slack_url = _start("slack")  # Slack's Web API lives elsewhere, as in production
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "ack.db"
            for _round in range(2):  # alternate, so drift on a shared machine hits both alike
                for mode in samples:
                    proc, url = _start(mode, str(db_path), SECRET, slack_url)
                    try:
                        samples[mode] += _load(url, requests // 2, in_flight)
                    finally:
                        proc.terminate()
                        proc.wait(timeout=10)
    finally:
        slack.terminate()
        slack.wait(timeout=10)
    base_p99 = percentile(samples["bare"], 99)
    labels = {
        "bare": "bare Bolt app, process_before_response",
        "bare-default": "bare Bolt app, Bolt defaults",
        "app": "returnbot (/order, lookups running)",
    }
    rows = [
        (labels[m], len(s), ms(percentile(s, 50)), ms(percentile(s, 99)), ratio(percentile(s, 99), base_p99))
        for m, s in samples.items()
    ]
    print(table(f"ack latency, HTTP mode, {in_flight} in flight", ["server", "requests", "p50 ms", "p99 ms",
                                                                     "p99 ÷ bare p99"], rows))  # fmt: skip
    app_p99 = percentile(samples["app"], 99)
    met = app_p99 <= 1.25 * base_p99 and app_p99 < 0.100
    print(f"target: returnbot p99 ≤ 1.25 × bare p99 and < 100 ms → {'met' if met else 'NOT met'}")
