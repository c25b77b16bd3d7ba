"""A fake Shopify Admin GraphQL API on 127.0.0.1, for tests and benchmarks.

It answers like Shopify: token check (401), every document validated against the pinned 2026-07 schema with no
deprecated usage (HTTP 200 + `errors`, no `data`), cost-based throttling with a leaky bucket (HTTP 200 +
`THROTTLED`), `extensions.cost` on every executed request, access scopes (`ACCESS_DENIED`), the 60-day order window
without `read_all_orders`, Shopify's search syntax, cursor pagination, and faults on demand (429, 503, 500, 502
HTML, a non-GraphQL body, a slow answer, a dropped connection, a mutation applied and then the connection dropped
or left unanswered until the client times out), optionally aimed at one operation. Refunds (`Order.suggestedRefund`,
`refundCreate`) are served by every fake (integrations/shopify/standin/refunds.py).

This module is the fake's face: lifecycle, test controls, the shop's data, and serving a request (token, faults,
the record of calls). Executing the GraphQL is execution.py's part; the HTTP handler is http_handler.py's.

    with FakeShopify(demo_orders()) as shop:
        httpx.post(shop.admin_url, headers={"X-Shopify-Access-Token": shop.access_token}, json={"query": ...})
        shop.assert_no_rejections()
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.orders import Fulfillment, Order
from integrations.loopback import LoopbackServer
from integrations.shopify.standin.cancellation import install_cancellations
from integrations.shopify.standin.data import ShopData, build_shop_data
from integrations.shopify.standin.execution import (
    ACCESS_DOCS,
    IDEMPOTENT_MUTATIONS,
    IDEMPOTENT_PREFIXES,
    Mutation,
    answer_graphql,
    operation_name,
)
from integrations.shopify.standin.faults import (
    APPLIED_FAULTS,
    BAD_GATEWAY_PAGE,
    FAULT_KINDS,
    TOO_MANY_CALLS,
    Fault,
    fault_answer,
)
from integrations.shopify.standin.http_handler import Answer, Handler
from integrations.shopify.standin.queries import ORDER_WINDOW
from integrations.shopify.standin.refunds import install_refunds
from integrations.shopify.standin.replacements import install_replacements
from integrations.shopify.standin.schema import API_VERSION, load_schema
from integrations.shopify.standin.throttle import MAX_QUERY_COST, RATE_LIMIT_DOCS, LeakyBucket
from integrations.shopify.standin.values import Node

__all__ = [
    "ACCESS_DOCS",
    "BAD_GATEWAY_PAGE",
    "DEFAULT_SCOPES",
    "FAULT_KINDS",
    "IDEMPOTENT_MUTATIONS",
    "IDEMPOTENT_PREFIXES",
    "INVALID_TOKEN",
    "MAX_QUERY_COST",
    "ORDER_WINDOW",
    "RATE_LIMIT_DOCS",
    "TOO_MANY_CALLS",
    "FakeShopify",
    "Mutation",
    "ShopifyCall",
]

DEFAULT_SCOPES = (
    "read_orders",
    "write_orders",
    "read_all_orders",
    "read_customers",
    "read_returns",
    "write_returns",
    "read_draft_orders",
    "write_draft_orders",
    "read_products",
    "read_merchant_managed_fulfillment_orders",
)
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


@dataclass(frozen=True)
class ShopifyCall:
    """One request to the GraphQL endpoint, as the fake saw it."""

    operation_name: str | None
    query: str
    variables: dict[str, Any]
    directives: dict[str, dict[str, Any]]  # directives on the root fields, e.g. {"idempotent": {"key": "…"}}
    status: int  # the HTTP status answered; 0 when the connection was closed without an answer
    at: float  # time.monotonic() when the request arrived
    outcome: str = "ok"  # ok | rejected | throttled | access_denied | unauthorized | a fault kind
    requested_cost: int | None = None
    actual_cost: int | None = None


class FakeShopify:
    def __init__(
        self,
        orders: Iterable[Order],
        *,
        access_token: str = "shpat_test",
        shop_domain: str = "returnbot-demo.myshopify.com",
        shop_name: str = "Returnbot Demo",
        scopes: Iterable[str] = DEFAULT_SCOPES,
        bucket_max: float = 1000.0,
        restore_rate: float = 100.0,
        now: Callable[[], datetime] | None = None,
        bucket_clock: Callable[[], float] = time.monotonic,  # seconds; tests move it instead of waiting
    ) -> None:
        load_schema()  # half a second, better spent here than in the first request
        self.access_token = access_token
        self.shop_domain = shop_domain
        self.shop_name = shop_name
        self.scopes: tuple[str, ...] = tuple(scopes)
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.data: ShopData = build_shop_data(list(orders))
        self.mutations: dict[str, Mutation] = {}
        self.queries: dict[str, Callable[..., Any]] = {}  # more root query fields: fn(info, **arguments)
        # fields computed for every object of a type, "Order.suggestedRefund": fn(source, info, **arguments)
        self.fields: dict[str, Callable[..., Any]] = {}
        self.calls: list[ShopifyCall] = []
        self.rejected: list[str] = []
        self.search_warnings: list[dict[str, Any]] = []
        self.throttled = 0
        self.timeout_seconds = 5.0
        self._bucket = LeakyBucket(float(bucket_max), float(restore_rate), monotonic=bucket_clock)
        self._faults: deque[Fault] = deque()
        self._delay = 0.0
        self._lock = threading.Lock()  # calls, rejections, faults
        self._state_lock = threading.RLock()  # the shop's data while a request executes
        self._loopback = LoopbackServer(Handler, self, "fake-shopify")
        install_refunds(self)  # a shop without refunds is no shop: every fake has them
        self.cancellations = install_cancellations(self)  # orderCancel as a job, job(id:), Order.risk
        self.drafts = install_replacements(self)  # draft orders, variants, tagsAdd, orderUpdate (replacements)

    # -- lifecycle

    def start(self) -> FakeShopify:
        self._loopback.start()
        return self

    def stop(self) -> None:
        self._loopback.stop()

    def __enter__(self) -> FakeShopify:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._loopback.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/admin/api/{API_VERSION}/graphql.json"

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Shopify-Access-Token": self.access_token, "Content-Type": "application/json"}

    # -- test controls

    def fail_next(
        self, kind: str, times: int = 1, retry_after: float | None = 1.0, *, operation: str | None = None
    ) -> None:
        """The next `times` requests fail this way (see FAULT_KINDS); `retry_after=None` sends no Retry-After.

        With `operation` ("RefundCreate"), only requests of that operation meet these faults; other requests pass
        by them (and meet the faults queued for any request). `apply_then_timeout` executes the request, so a
        mutation is applied, then holds the connection unanswered for `timeout_seconds` and closes it: the client
        times out with no idea whether it happened."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.extend(Fault(kind, retry_after, operation) for _ in range(times))

    def clear_faults(self) -> None:
        """Drop the faults still queued: Shopify has recovered."""
        with self._lock:
            self._faults.clear()

    def delay(self, seconds: float) -> None:
        """Latency added to every request from now on (0 turns it off)."""
        self._delay = max(0.0, seconds)

    def refill(self) -> None:
        self._bucket.refill()

    def bucket_status(self) -> dict[str, float]:
        return self._bucket.status()

    def calls_named(self, operation_name: str) -> list[ShopifyCall]:
        with self._lock:
            return [c for c in self.calls if c.operation_name == operation_name]

    def clear(self) -> None:
        """Forget recorded calls, rejections, search warnings and the throttle count (faults stay queued)."""
        with self._lock:
            self.calls.clear()
            self.rejected.clear()
            self.search_warnings.clear()
            self.throttled = 0

    def assert_no_rejections(self) -> None:
        with self._lock:
            problems = list(self.rejected)
        assert not problems, "Fake Shopify rejected requests:\n" + "\n".join(problems)

    # -- the shop's data

    def order_gid(self, order: Order | str) -> str:
        """The Shopify GID of one of the orders given (an Order or its ref.id)."""
        return self.data.order_gids[order if isinstance(order, str) else order.ref.id]

    def line_item_gid(self, order: Order, line_item_id: str) -> str:
        return self.data.line_item_gids[(order.ref.id, line_item_id)]

    def find(self, global_id: str) -> Node | None:
        """Any object by GID (orders, customers, line items, fulfillments, transactions, …), for mutations."""
        return self.data.nodes.get(global_id)

    def add_order(self, order: Order) -> Node:
        with self._state_lock:
            return self.data.add(order)

    def ship(self, order_gid: str, parcel: Fulfillment) -> Node:
        """What the shop's admin does when the warehouse ships an order: see ShopData.ship."""
        with self._state_lock:
            return self.data.ship(order_gid, parcel)

    # -- serving

    def _take_fault(self, body: Mapping[str, Any]) -> Fault | None:
        """The first queued fault this request meets, taken off the queue."""
        names: list[str | None] = []  # the request's operation name, found once and only when a fault asks

        def operation() -> str | None:
            if not names:
                query = body.get("query")
                names.append(body.get("operationName") or operation_name(query if isinstance(query, str) else ""))
            return names[0]

        with self._lock:
            for fault in self._faults:
                if fault.operation is None or fault.operation == operation():
                    self._faults.remove(fault)
                    return fault
        return None

    def _pause(self, seconds: float) -> bool:
        """Sleep unless the fake stops meanwhile; False when it did."""
        return seconds <= 0 or not self._loopback.stopping.wait(seconds)

    def _record(self, body: Mapping[str, Any], arrived: float, answer: Answer) -> None:
        given_query, given_variables = body.get("query"), body.get("variables")
        query = given_query if isinstance(given_query, str) else ""
        variables = given_variables if isinstance(given_variables, dict) else {}
        call = ShopifyCall(
            operation_name=body.get("operationName") or operation_name(query),
            query=query,
            variables=variables,
            directives=answer.directives,
            status=answer.status,
            at=arrived,
            outcome=answer.outcome,
            requested_cost=answer.requested,
            actual_cost=answer.actual,
        )
        with self._lock:
            self.calls.append(call)
            if answer.outcome == "throttled":
                self.throttled += 1

    def _answer(self, handler: Handler) -> None:
        arrived = time.monotonic()
        if handler.path.split("?", 1)[0] != f"/admin/api/{API_VERSION}/graphql.json":
            handler.send(Answer(404, {"errors": "Not Found"}))
            return
        raw = handler.read_body()
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            handler.send(Answer(400, {"errors": {"query": "Required parameter missing or invalid"}}))
            return
        if handler.headers.get("X-Shopify-Access-Token") != self.access_token:
            answer = Answer(401, {"errors": INVALID_TOKEN}, outcome="unauthorized")
            self._record(body, arrived, answer)
            handler.send(answer)
            return
        self._serve(handler, body, arrived)

    def _serve(self, handler: Handler, body: dict[str, Any], arrived: float) -> None:
        fault = self._take_fault(body)
        if not self._pause(self._delay):
            return
        if fault is not None and fault.kind not in APPLIED_FAULTS:
            answer = fault_answer(fault)
            self._record(body, arrived, answer)
            if fault.kind != "drop":
                handler.send(answer)
            return
        if fault is not None and fault.kind == "timeout" and not self._pause(self.timeout_seconds):
            return
        answer = answer_graphql(self, body)
        if fault is not None and fault.kind == "timeout":
            answer.outcome = "timeout"  # answered after the client most likely gave up
        if fault is not None and fault.kind in ("apply_then_drop", "apply_then_timeout"):
            answer.status, answer.outcome = 0, fault.kind
            self._record(body, arrived, answer)
            if fault.kind == "apply_then_timeout":
                self._pause(self.timeout_seconds)  # the client gives up first; then the connection closes unanswered
            return
        self._record(body, arrived, answer)
        handler.send(answer)
