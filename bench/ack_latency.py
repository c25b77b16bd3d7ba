"""Ack latency in HTTP mode: signed `/order` requests, 20 in flight, time to HTTP 200.

The bot is compared with a bare Bolt app that only acks, on the same server, in the same run, each in its
own process (the load generator runs here, the fake Slack in a third): same interpreter settings, same
WSGI app around Bolt, same request threads. The bot's requests start real lookups on its worker pool, on
a store of realistic size (orders from bench/orders_gen.py: numbers, e-mails, names, tracking numbers,
names that match nothing), and its cards and replies go to a live fake Slack: acks compete with that work.
Each server the bot could run on is measured: waitress (what `returnbot run --http` uses) and gunicorn's
gthread worker, in one process and in two.

The store is built once and kept in bench/out/ (minutes for the full size; `--quick`: a smaller one).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import text

from bench import orders_gen
from bench.ack_server import SERVERS
from bench.report import ms, percentile, ratio, table
from bot.shell.standin import signed_headers, slash_command_form
from integrations.local_store.importer import import_orders
from storage.db import Database, make_engine
from storage.migrate import upgrade

SECRET = "bench-secret"
OUT = Path(__file__).with_name("out")
ORDERS = 100_000
QUICK_ORDERS = 20_000
IN_FLIGHT = 20
TARGET_RATIO = 1.25
TARGET_P99 = 0.100  # seconds
ROUNDS = 4


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    # the fake Slack's stderr is dropped: a server stopped between rounds leaves it broken pipes to report
    quiet = subprocess.DEVNULL if args[0] == "slack" else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ack_server", *args], stdout=subprocess.PIPE, stderr=quiet, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"{args[0]} server did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with status {proc.returncode}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"{url}/healthz did not answer 200 within {timeout:.0f} s")


def _load(url: str, slack_root: str, queries: list[str], requests: int) -> list[float]:
    def one(i: int) -> float:
        reply_to = f"{slack_root}response/bench-{i}"  # the live fake Slack, as a real response_url would be
        body = slash_command_form("/order", queries[i % len(queries)], "U0BENCH", "C0BENCH", reply_to)
        headers = signed_headers(SECRET, body)
        start = time.perf_counter()
        response = client.post("/slack/events", content=body.encode(), headers=headers)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        return elapsed

    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    with httpx.Client(base_url=url, limits=limits, timeout=10) as client, ThreadPoolExecutor(IN_FLIGHT) as pool:
        list(pool.map(one, range(IN_FLIGHT * 2)))  # warm-up: connections, imports, the first queries
        return list(pool.map(one, range(IN_FLIGHT * 2, IN_FLIGHT * 2 + requests)))


def store(orders: int) -> Path:
    """A SQLite store of `orders` generated orders, loaded through the real importer; kept for the next run."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"ack-store-v{orders_gen.VERSION}-{orders}.sqlite3"
    db = Database(make_engine(f"sqlite:///{path}"))
    try:
        upgrade(db.engine)
        with db.session() as session:
            held = session.scalar(text("select count(*) from orders")) or 0
        if held == orders:
            return path
        if held:
            raise RuntimeError(f"{path} holds {held:,} orders, not {orders:,}: remove it and run again")
        export = OUT / f"ack-orders-v{orders_gen.VERSION}-{orders}.csv"
        print(f"  building a store of {orders:,} orders in {path} (once) …", flush=True)
        try:
            orders_gen.write_export(export, orders=orders)
            import_orders(db, export)
        finally:
            export.unlink(missing_ok=True)
        return path
    finally:
        db.dispose()


def _queries(orders: int) -> list[str]:
    """What agents type, every kind in turn: numbers, e-mails, full and partial names, tracking, no match."""
    by_kind = orders_gen.sample_queries(orders, 40)
    return [q for row in zip(*by_kind.values(), strict=True) for q in row]


def run(quick: bool = False) -> None:
    servers = tuple(os.environ.get("RETURNBOT_BENCH_SERVERS", ",".join(SERVERS)).split(","))
    if importlib.util.find_spec("gunicorn") is None:  # only the comparison needs it: `pip install gunicorn`
        print("  gunicorn is not installed: measuring waitress alone", flush=True)
        servers = tuple(s for s in servers if not s.startswith("gunicorn"))
    orders = QUICK_ORDERS if quick else ORDERS
    per_round = 100 if quick else 250  # per server and mode, in ROUNDS rounds: p99 is then the 10th worst
    db_path = store(orders)
    queries = _queries(orders)
    samples: dict[tuple[str, str], list[float]] = {}
    slack, slack_root = _start("slack")  # Slack's Web API lives elsewhere, as in production
    try:
        for server in servers:
            for _round in range(ROUNDS):  # alternate, so drift on a shared machine hits both alike
                for mode in ("bare", "app"):
                    proc, url = _start(server, mode, str(db_path), SECRET, slack_root)
                    try:
                        _wait_healthy(url, proc)
                        samples.setdefault((server, mode), []).extend(_load(url, slack_root, queries, per_round))
                    finally:
                        _stop(proc)
    finally:
        _stop(slack)
    print(report(samples, orders))


def report(samples: dict[tuple[str, str], list[float]], orders: int) -> str:
    labels = {"bare": "bare Bolt app (ack only)", "app": f"returnbot (/order, lookups on {orders:,} orders)"}
    rows = []
    verdicts = []
    for server in dict.fromkeys(s for s, _ in samples):
        base_p99 = percentile(samples[(server, "bare")], 99)
        for mode in ("bare", "app"):
            s = samples[(server, mode)]
            p99 = percentile(s, 99)
            rows.append((server, labels[mode], len(s), ms(percentile(s, 50)), ms(p99), ratio(p99, base_p99)))
        app_p99 = percentile(samples[(server, "app")], 99)
        met = app_p99 <= TARGET_RATIO * base_p99 and app_p99 < TARGET_P99
        verdicts.append(f"{server}: {'met' if met else 'NOT met'} ({ratio(app_p99, base_p99)}, {ms(app_p99)} ms)")
    header = ["server", "app", "requests", "p50 ms", "p99 ms", "p99 ÷ bare p99"]
    lines = [
        table(f"ack latency, HTTP mode, {IN_FLIGHT} in flight", header, rows),
        f"target: returnbot p99 ≤ {TARGET_RATIO} × the bare app's p99 on the same server, and < 100 ms",
        *(f"  {v}" for v in verdicts),
    ]
    return "\n".join(lines)
