"""A fake Shopify Admin GraphQL API on 127.0.0.1, for tests and benchmarks.

It answers like Shopify: token check (401), every document validated against the pinned 2026-07 schema with no
deprecated usage (HTTP 200 + `errors`, no `data`), cost-based throttling with a leaky bucket (HTTP 200 +
`THROTTLED`), `extensions.cost` on every executed request, access scopes (`ACCESS_DENIED`), the 60-day order window
without `read_all_orders`, Shopify's search syntax, cursor pagination, and faults on demand (429, 503, 500, 502
HTML, a non-GraphQL body, a slow answer, a dropped connection, a mutation applied and then the connection dropped
or left unanswered until the client times out), optionally aimed at one operation. Refunds (`Order.suggestedRefund`,
`refundCreate`) are served by every fake (integrations/shopify/standin/refunds.py).

    with FakeShopify(demo_orders()) as shop:
        httpx.post(shop.admin_url, headers={"X-Shopify-Access-Token": shop.access_token}, json={"query": ...})
        shop.assert_no_rejections()
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    default_field_resolver,
    execute_sync,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values

from domain.orders import Order
from integrations.shopify.standin.cost import MissingPageSize, actual_cost, requested_cost
from integrations.shopify.standin.data import Node, ShopData, build_shop_data, paginate
from integrations.shopify.standin.refunds import install_refunds
from integrations.shopify.standin.schema import (
    API_VERSION,
    check_document,
    check_variables,
    load_schema,
    required_access,
    select_operation,
)
from integrations.shopify.standin.search import customer_sort_key, order_sort_key, search_customers, search_orders

DEFAULT_SCOPES = (
    "read_orders",
    "write_orders",
    "read_all_orders",
    "read_customers",
    "read_returns",
    "write_returns",
    "read_draft_orders",
    "write_draft_orders",
    "read_merchant_managed_fulfillment_orders",
)
MAX_QUERY_COST = 1000
ORDER_WINDOW = timedelta(days=60)
FAULT_KINDS = (
    "429", "503", "500", "502_html", "bad_shape", "timeout", "drop", "apply_then_drop", "apply_then_timeout",
)  # fmt: skip
# Faults whose request is executed (a mutation is applied) before the fault shows
_APPLIED_FAULTS = frozenset({"timeout", "apply_then_drop", "apply_then_timeout"})
# Mutations that fail at runtime without @idempotent from 2026-04 on (docs/reference/shopify-admin-api.md §4).
IDEMPOTENT_MUTATIONS = frozenset(
    {"refundCreate", "inventoryActivate", "inventoryAdjustQuantities", "inventoryMoveQuantities"}
    | {"inventorySetOnHandQuantities", "inventorySetQuantities", "locationActivate", "locationDeactivate"}
)
IDEMPOTENT_PREFIXES = ("inventoryShipment", "inventoryTransfer")

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
TOO_MANY_CALLS = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
ACCESS_DOCS = "https://shopify.dev/api/usage/access-scopes"
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
BAD_GATEWAY_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>There was a problem loading this website.</p></body></html>"
)

Mutation = Callable[[dict[str, Any], dict[str, dict[str, Any]]], Any]


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


@dataclass(frozen=True)
class _Fault:
    kind: str
    retry_after: float | None
    operation: str | None = None  # only a request of this operation (its name) meets the fault


@dataclass
class _Answer:
    status: int
    body: Any  # JSON-able, or str for HTML
    outcome: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    directives: dict[str, dict[str, Any]] = field(default_factory=dict)
    requested: int | None = None
    actual: int | None = None
    content_type: str = "application/json"


class _Bucket:
    """Shopify's leaky bucket: restores `restore_rate` points a second (real time) up to `maximum`."""

    def __init__(self, maximum: float, restore_rate: float) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._available = maximum
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def _restore(self) -> None:
        now = time.monotonic()
        self._available = min(self.maximum, self._available + (now - self._updated) * self.restore_rate)
        self._updated = now

    def take(self, cost: int) -> bool:
        with self._lock:
            self._restore()
            if self._available < cost:
                return False
            self._available -= cost
            return True

    def give_back(self, points: float) -> None:
        with self._lock:
            self._restore()
            self._available = min(self.maximum, self._available + points)

    def refill(self) -> None:
        with self._lock:
            self._available, self._updated = self.maximum, time.monotonic()

    def status(self) -> dict[str, float]:
        with self._lock:
            self._restore()
            available = math.floor(self._available * 10) / 10  # rounded down: waiting on it never falls short
        return {"maximumAvailable": self.maximum, "currentlyAvailable": available, "restoreRate": self.restore_rate}


class _Request:
    """`info.context` while one request executes: scopes, clock, search warnings."""

    def __init__(self, fake: FakeShopify) -> None:
        self.fake = fake
        self.scopes = frozenset(fake.scopes)
        now = fake.now()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.cutoff = None if "read_all_orders" in self.scopes else now - ORDER_WINDOW
        self.search: list[dict[str, Any]] = []
        self.unserved: set[str] = set()

    def visible(self, order: Node) -> bool:
        return self.cutoff is None or order["_created"] >= self.cutoff

    def granted(self, access_text: str) -> bool:
        options = [part.split("`")[1] for part in access_text.split(" access scope") if "`" in part]
        return not options or any(o in self.scopes or o.replace("read_", "write_", 1) in self.scopes for o in options)

    def note_search(self, info: GraphQLResolveInfo, query: str | None, warnings: list[dict[str, str]]) -> None:
        if warnings:
            self.search.append({"path": info.path.as_list(), "query": query, "warnings": warnings})

    def orders_connection(
        self,
        info: GraphQLResolveInfo,
        orders: Sequence[Node],
        query: str | None = None,
        sortKey: str | None = None,  # the argument's name in the schema
        reverse: bool = False,
        **page: Any,
    ) -> Node:
        search = search_orders(query)
        self.note_search(info, query, search.warnings)
        key = order_sort_key(sortKey)
        found = sorted((o for o in orders if self.visible(o) and search.matches(o)), key=key, reverse=reverse)
        return paginate(found, info, key=key, descending=reverse, **_page(page))

    def customers_connection(
        self,
        info: GraphQLResolveInfo,
        query: str | None = None,
        sortKey: str | None = None,
        reverse: bool = False,
        **page: Any,
    ) -> Node:
        search = search_customers(query)
        self.note_search(info, query, search.warnings)
        key = customer_sort_key(sortKey)
        found = sorted((c for c in self.fake.data.customers if search.matches(c)), key=key, reverse=reverse)
        return paginate(found, info, key=key, descending=reverse, **_page(page))

    def node(self, global_id: str) -> Node | None:
        node = self.fake.data.nodes.get(global_id)
        if node is not None and node.get("__typename") == "Order" and not self.visible(node):
            return None
        return node


def _page(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: args.get(k) for k in ("first", "after", "last", "before")}


# --- access scopes ----------------------------------------------------------------------------------------------

_SUBJECTS: dict[str, str] = {}


def _subject_type(info: GraphQLResolveInfo) -> str:
    """The type whose access scope guards a field: the node type for a connection."""
    named = get_named_type(info.return_type)
    if named.name not in _SUBJECTS:
        nodes = getattr(named, "fields", {}).get("nodes") if named.name.endswith("Connection") else None
        _SUBJECTS[named.name] = get_named_type(nodes.type).name if nodes is not None else named.name
    return _SUBJECTS[named.name]


def _resolve_field(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    field = f"{info.parent_type.name}.{info.field_name}"
    resolver = info.context.fake.fields.get(field)
    if resolver is None and isinstance(source, Mapping) and info.field_name not in source:
        info.context.unserved.add(field)
    if not is_leaf_type(get_named_type(info.return_type)):
        access = required_access(_subject_type(info))
        if access and not info.context.granted(access):
            raise GraphQLError(
                f"Access denied for {info.field_name} field. Required access: {access}",
                extensions={"code": "ACCESS_DENIED", "documentation": ACCESS_DOCS, "requiredAccess": access},
            )
    if resolver is not None:
        return resolver(source, info, **args)
    return default_field_resolver(source, info, **args)


def _resolve_type(value: Any, _info: GraphQLResolveInfo, _abstract_type: Any) -> str | None:
    return value.get("__typename") if isinstance(value, Mapping) else None


# --- the fake ---------------------------------------------------------------------------------------------------


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
        self._bucket = _Bucket(float(bucket_max), float(restore_rate))
        self._faults: deque[_Fault] = deque()
        self._delay = 0.0
        self._lock = threading.Lock()  # calls, rejections, faults
        self._state_lock = threading.RLock()  # the shop's data while a request executes
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()  # open keep-alive connections, closed by stop()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        install_refunds(self)  # a shop without refunds is no shop: every fake has them

    # -- lifecycle

    def start(self) -> FakeShopify:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-shopify", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes requests sleeping in a delay or timeout
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeShopify:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeShopify is not started"
        return self._server.server_address[1]

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
            self._faults.extend(_Fault(kind, retry_after, operation) for _ in range(times))

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

    # -- serving

    def _take_fault(self, body: Mapping[str, Any]) -> _Fault | None:
        """The first queued fault this request meets, taken off the queue."""
        names: list[str | None] = []  # the request's operation name, found once and only when a fault asks

        def operation() -> str | None:
            if not names:
                query = body.get("query")
                names.append(body.get("operationName") or _operation_name(query if isinstance(query, str) else ""))
            return names[0]

        with self._lock:
            for fault in self._faults:
                if fault.operation is None or fault.operation == operation():
                    self._faults.remove(fault)
                    return fault
        return None

    def _pause(self, seconds: float) -> bool:
        """Sleep unless the fake stops meanwhile; False when it did."""
        return seconds <= 0 or not self._stopping.wait(seconds)

    def _record(self, body: Mapping[str, Any], arrived: float, answer: _Answer) -> None:
        given_query, given_variables = body.get("query"), body.get("variables")
        query = given_query if isinstance(given_query, str) else ""
        variables = given_variables if isinstance(given_variables, dict) else {}
        call = ShopifyCall(
            operation_name=body.get("operationName") or _operation_name(query),
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

    def _reject(self, call: str, errors: Sequence[Mapping[str, Any]], code: str) -> _Answer:
        tagged = [dict(error) for error in errors]
        for error in tagged:
            error.setdefault("extensions", {}).setdefault("code", code)
        with self._lock:
            self.rejected.extend(f"{call}: {e['message']}" for e in tagged)
        return _Answer(200, {"errors": tagged}, outcome="rejected")

    def _graphql(self, body: Mapping[str, Any]) -> _Answer:
        query, variables = body.get("query"), body.get("variables") or {}
        name = body.get("operationName") or None
        call = name or _operation_name(query if isinstance(query, str) else "") or "anonymous operation"
        if not isinstance(query, str) or not isinstance(variables, dict):
            with self._lock:
                self.rejected.append(f"{call}: no query string, or variables that are not an object")
            return _Answer(400, {"errors": {"query": "Required parameter missing or invalid"}}, outcome="rejected")
        document, errors = check_document(query)
        if document is None or errors:
            code = "GRAPHQL_PARSE_FAILED" if document is None else "GRAPHQL_VALIDATION_FAILED"
            return self._reject(call, [e.formatted for e in errors], code)
        operation = select_operation(document, name)
        if isinstance(operation, GraphQLError):
            return self._reject(call, [operation.formatted], "GRAPHQL_VALIDATION_FAILED")
        coerced, errors = check_variables(operation, variables)
        if errors:
            return self._reject(call, [e.formatted for e in errors], "INVALID_VARIABLE")
        directives = _root_directives(operation, coerced)
        missing = _missing_idempotency(operation, coerced)
        if missing:
            answer = self._reject(call, [{"message": missing}], "BAD_REQUEST")
            answer.directives = directives
            return answer
        answer = self._charge_and_run(call, document, operation, coerced)
        answer.directives = directives
        return answer

    def _charge_and_run(
        self, call: str, document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any]
    ) -> _Answer:
        schema = load_schema()
        try:
            requested = requested_cost(schema, document, operation, variables)
        except MissingPageSize as error:
            return self._reject(call, [error.formatted], "BAD_REQUEST")
        ceiling = min(MAX_QUERY_COST, int(self._bucket.maximum))
        if requested > ceiling:
            answer = self._reject(call, [_max_cost_error(requested, ceiling)], "MAX_COST_EXCEEDED")
            answer.body["extensions"] = {"cost": self._cost(requested, None)}
            answer.requested = requested
            return answer
        if not self._bucket.take(requested):
            throttled = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}
            refusal = {"errors": [throttled], "extensions": {"cost": self._cost(requested, None)}}
            return _Answer(200, refusal, outcome="throttled", requested=requested)
        context = _Request(self)
        with self._state_lock:
            # every resolver is synchronous; check_sync keeps graphql-core's check for an awaitable all the same
            result = execute_sync(
                schema,
                document,
                root_value=self._root(operation.operation),
                context_value=context,
                variable_values=variables,
                operation_name=operation.name.value if operation.name else None,
                field_resolver=_resolve_field,
                type_resolver=_resolve_type,
                check_sync=True,
            )
        # A list without `first` is priced as one item up front; Shopify never charges more than it asked for.
        actual = min(actual_cost(schema, document, operation, variables, result.data), requested)
        self._bucket.give_back(max(requested - actual, 0))
        body = result.formatted
        body["extensions"] = {"cost": self._cost(requested, actual)}
        if context.search:
            body["extensions"]["search"] = context.search
            with self._lock:
                self.search_warnings.extend(context.search)
        outcome = self._execution_outcome(call, result.errors or [], context.unserved)
        return _Answer(200, body, outcome=outcome, requested=requested, actual=actual)

    def _execution_outcome(self, call: str, errors: list[GraphQLError], unserved: set[str]) -> str:
        """Errors the fake raises on purpose are answers; any other one, or a field the fake does not serve (it
        answered null), is the fake or the client falling short, and a test asserting no rejections should fail."""
        problems = [
            f"{call}: execution error at {e.path}: {e.message}"
            for e in errors
            if (e.extensions or {}).get("code") != "ACCESS_DENIED"
        ]
        problems += [f"{call}: the stand-in does not serve {f} (add it in this package)" for f in sorted(unserved)]
        if problems:
            with self._lock:
                self.rejected.extend(problems)
            return "rejected"
        return "access_denied" if errors else "ok"

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self._bucket.status()}

    def _root(self, operation: OperationType) -> dict[str, Any]:
        if operation is OperationType.MUTATION:
            return {name: _mutation_resolver(fn) for name, fn in self.mutations.items()}
        return {
            "orders": lambda info, **args: info.context.orders_connection(info, self.data.orders, **args),
            "order": lambda info, id: info.context.node(id) if id.startswith("gid://shopify/Order/") else None,
            "customers": lambda info, **args: info.context.customers_connection(info, **args),
            "customer": lambda info, id: info.context.node(id) if id.startswith("gid://shopify/Customer/") else None,
            "node": lambda info, id: info.context.node(id),
            "nodes": lambda info, ids: [info.context.node(i) for i in ids],
            "shop": self._shop(),
            "currentAppInstallation": self._installation(),
            **self.queries,
        }

    def _shop(self) -> Node:
        currency = self.data.orders[0]["currencyCode"] if self.data.orders else "EUR"
        return {
            "__typename": "Shop",
            "id": "gid://shopify/Shop/1",
            "name": self.shop_name,
            "myshopifyDomain": self.shop_domain,
            "url": f"https://{self.shop_domain}",
            "email": f"support@{self.shop_domain}",
            "contactEmail": f"support@{self.shop_domain}",
            "currencyCode": currency,
            "enabledPresentmentCurrencies": [currency],
            "ianaTimezone": "Europe/Helsinki",
            "timezoneAbbreviation": "EET",
            "orderNumberFormatPrefix": "#",
            "orderNumberFormatSuffix": "",
            "taxesIncluded": True,
            "primaryDomain": {
                "__typename": "Domain",
                "id": "gid://shopify/Domain/1",
                "host": self.shop_domain,
                "url": f"https://{self.shop_domain}",
                "sslEnabled": True,
            },
        }

    def _installation(self) -> Node:
        scopes = [{"__typename": "AccessScope", "handle": s, "description": s.replace("_", " ")} for s in self.scopes]
        return {
            "__typename": "AppInstallation",
            "id": "gid://shopify/AppInstallation/1",
            "accessScopes": scopes,
            "app": {"__typename": "App", "id": "gid://shopify/App/1", "title": "returnbot", "handle": "returnbot"},
        }

    def _answer(self, handler: _Handler) -> None:
        arrived = time.monotonic()
        if handler.path.split("?", 1)[0] != f"/admin/api/{API_VERSION}/graphql.json":
            handler.send(_Answer(404, {"errors": "Not Found"}))
            return
        raw = handler.read_body()
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            handler.send(_Answer(400, {"errors": {"query": "Required parameter missing or invalid"}}))
            return
        if handler.headers.get("X-Shopify-Access-Token") != self.access_token:
            answer = _Answer(401, {"errors": INVALID_TOKEN}, outcome="unauthorized")
            self._record(body, arrived, answer)
            handler.send(answer)
            return
        self._serve(handler, body, arrived)

    def _serve(self, handler: _Handler, body: dict[str, Any], arrived: float) -> None:
        fault = self._take_fault(body)
        if not self._pause(self._delay):
            return
        if fault is not None and fault.kind not in _APPLIED_FAULTS:
            answer = _fault_answer(fault)
            self._record(body, arrived, answer)
            if fault.kind != "drop":
                handler.send(answer)
            return
        if fault is not None and fault.kind == "timeout" and not self._pause(self.timeout_seconds):
            return
        answer = self._graphql(body)
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


def _fault_answer(fault: _Fault) -> _Answer:
    retry = {"Retry-After": str(float(fault.retry_after))} if fault.retry_after is not None else {}
    match fault.kind:
        case "429":
            return _Answer(429, {"errors": TOO_MANY_CALLS}, outcome="429", headers=retry)
        case "503":
            return _Answer(503, {"errors": "Service Unavailable"}, outcome="503", headers=retry)
        case "500":
            return _Answer(500, {"errors": "Internal Server Error"}, outcome="500")
        case "502_html":
            return _Answer(502, BAD_GATEWAY_PAGE, outcome="502_html", content_type="text/html; charset=utf-8")
        case "bad_shape":
            return _Answer(200, {"unexpected": True}, outcome="bad_shape")
    return _Answer(0, None, outcome=fault.kind)  # "drop"


def _max_cost_error(cost: int, ceiling: int) -> dict[str, Any]:
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({ceiling}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
        "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
    )
    return {"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": ceiling}}


def _operation_name(query: str) -> str | None:
    document, _ = check_document(query)
    if document is None:
        return None
    operation = select_operation(document, None)
    if isinstance(operation, GraphQLError) or operation.name is None:
        return None
    return operation.name.value


def _root_fields(operation: OperationDefinitionNode) -> list[FieldNode]:
    return [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]


def _directives(field_node: FieldNode, variables: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    schema = load_schema()
    found: dict[str, dict[str, Any]] = {}
    for directive in field_node.directives or ():
        definition = schema.get_directive(directive.name.value)
        if definition is not None:
            found[directive.name.value] = get_argument_values(definition, directive, dict(variables))
    return found


def _root_directives(operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for field_node in _root_fields(operation):
        found.update(_directives(field_node, variables))
    return found


def _missing_idempotency(operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> str | None:
    if operation.operation is not OperationType.MUTATION:
        return None
    for field_node in _root_fields(operation):
        name = field_node.name.value
        if name not in IDEMPOTENT_MUTATIONS and not name.startswith(IDEMPOTENT_PREFIXES):
            continue
        key = _directives(field_node, variables).get("idempotent", {}).get("key")
        if key is None:
            return f"The @idempotent directive is required for the {name} mutation."
        if not key.strip():
            return "The idempotency key cannot be an empty string or whitespace only."
    return None


def _mutation_resolver(mutation: Mutation) -> Callable[..., Any]:
    def resolve(info: GraphQLResolveInfo, **args: Any) -> Any:
        return mutation(args, _directives(info.field_nodes[0], info.variable_values))

    return resolve


# --- HTTP -------------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx clients and benchmarks expect
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def setup(self) -> None:
        super().setup()
        fake: FakeShopify = self.server.fake  # type: ignore[attr-defined]
        with fake._lock:
            fake._connections.add(self.connection)

    def finish(self) -> None:
        fake: FakeShopify = self.server.fake  # type: ignore[attr-defined]
        with fake._lock:
            fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    server_version = "FakeShopify/1.0"

    def do_POST(self) -> None:
        self._answered = False
        try:
            self.server.fake._answer(self)  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault): nobody to answer
        finally:
            if not getattr(self, "_answered", False):
                self.close_connection = True  # a dropped connection: close without a word

    def do_GET(self) -> None:
        self.read_body()
        self.send(_Answer(405, {"errors": "Method Not Allowed"}))

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, answer: _Answer) -> None:
        if isinstance(answer.body, str):
            payload = answer.body.encode()
        else:
            payload = json.dumps(answer.body, separators=(",", ":")).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        self._answered = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read fake.calls instead
