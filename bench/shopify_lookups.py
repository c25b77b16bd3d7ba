"""Shopify lookups against the fake Admin API: pacing under the cost bucket, and the client's overhead.

1. 500 lookups (search + detail, the real `look_up` workflow over ShopifyStore) against a fake whose
   bucket holds 1,000 points and restores 100 points/s. Printed: failed lookups, THROTTLED answers,
   the time taken, and the minimum that bucket allows for the very same calls (a replay of the
   calls' requested and actual costs through the bucket with no latency at all).
2. The client's own overhead per call: `ShopifyClient.query` against a server that answers a canned
   response at once, beside a bare `httpx` POST of the same body to the same server.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from bench.report import ms, percentile, ratio, table
from commands.lookup import look_up
from commands.services import Services
from domain.orders import Order
from integrations.local_store.demo import demo_orders
from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore

BUCKET, RESTORE = 1000.0, 100.0


def _queries(orders: list[Order]) -> list[str]:
    """Each demo order by number, by e-mail and by name, in turn."""
    out: list[str] = []
    for order in orders:
        out.append(order.name)
        if order.email:
            out.append(order.email)
        if order.customer_name:
            out.append(order.customer_name)
    return out


def minimum_seconds(costs: list[tuple[float, float]], bucket: float, rate: float) -> float:
    """The least time a bucket allows for these (requested, actual) costs, sent one after another."""
    available, clock = bucket, 0.0
    for requested, actual in costs:
        if available < requested:
            clock += (requested - available) / rate
            available = requested
        available -= actual
        # what flows back in while the next call is prepared is not counted: no latency at all
    return clock


def lookups(count: int) -> None:
    orders = demo_orders()
    queries = _queries(orders)
    with FakeShopify(orders, bucket_max=BUCKET, restore_rate=RESTORE) as fake:
        client = ShopifyClient(fake.admin_url, fake.access_token)
        store = ShopifyStore(client, fake.shop_domain)
        services = Services(db=None, store=store)  # type: ignore[arg-type]  # lookups never touch the database
        failed = 0
        start = time.perf_counter()
        for i in range(count):
            try:
                result = look_up(services, queries[i % len(queries)])
                failed += not result.found
            except Exception as exc:
                failed += 1
                print(f"lookup {i} failed: {exc}")
        elapsed = time.perf_counter() - start
        # a call with an actual cost was charged, so it has a requested cost too
        costs: list[tuple[float, float]] = [
            (c.requested_cost, c.actual_cost)
            for c in fake.calls
            if c.requested_cost is not None and c.actual_cost is not None
        ]
        client.close()
        throttled = fake.throttled
    floor = minimum_seconds(costs, BUCKET, RESTORE)
    rows = [
        ("lookups", count),
        ("Shopify calls", len(costs)),
        ("failed lookups", failed),
        ("THROTTLED answers", throttled),
        ("total time, s", f"{elapsed:.1f}"),
        ("minimum the bucket allows, s", f"{floor:.1f}"),
        ("time ÷ minimum", ratio(elapsed, floor)),
    ]
    print(table(f"lookups under a {BUCKET:.0f}-point bucket restoring {RESTORE:.0f}/s", ["", "value"], rows))
    met = failed == 0 and throttled <= 1 and elapsed <= 1.10 * floor
    print(f"target: 0 failed, no THROTTLED after the first, time ≤ 1.10 × minimum → {'met' if met else 'NOT met'}")


class _Canned(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    body = json.dumps(
        {
            "data": {"shop": {"name": "Bench", "myshopifyDomain": "bench.myshopify.com"},
                     "currentAppInstallation": {"accessScopes": [{"handle": "read_orders"}]}},
            "extensions": {"cost": {"requestedQueryCost": 2, "actualQueryCost": 2, "throttleStatus": {
                "maximumAvailable": 1e9, "currentlyAvailable": 1e9, "restoreRate": 1e9}}},
        }
    ).encode()  # fmt: skip

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: object) -> None:
        pass


def overhead(calls: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/admin/api/2026-07/graphql.json"
    doc = document("ShopInfo")
    body = {"query": doc.text, "variables": {}, "operationName": doc.name}
    client = ShopifyClient(url, "shpat_bench")
    bare = httpx.Client(headers={"X-Shopify-Access-Token": "shpat_bench"})
    samples: dict[str, list[float]] = {"bare httpx POST": [], "ShopifyClient.query": []}
    for _ in range(50):  # warm-up
        bare.post(url, json=body).json()
        client.query(doc)
    for _ in range(calls):
        t = time.perf_counter()
        bare.post(url, json=body).json()
        samples["bare httpx POST"].append(time.perf_counter() - t)
        t = time.perf_counter()
        client.query(doc)
        samples["ShopifyClient.query"].append(time.perf_counter() - t)
    server.shutdown()
    client.close()
    bare.close()
    base = percentile(samples["bare httpx POST"], 50)
    rows = [
        (k, ms(percentile(v, 50)), ms(percentile(v, 99)), ratio(percentile(v, 50), base)) for k, v in samples.items()
    ]
    print(table("client overhead per call, instant server", ["call", "p50 ms", "p99 ms", "p50 ÷ bare"], rows))
    print(f"client overhead p50: {ms(percentile(samples['ShopifyClient.query'], 50) - base)} ms per call")


def run(quick: bool = False) -> None:
    lookups(100 if quick else 500)
    overhead(200 if quick else 2000)
