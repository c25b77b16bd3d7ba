"""The Shopify client against the fake Admin API: pacing, throttling, faults, typed errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from integrations.local_store.demo import demo_orders
from integrations.shopify.client import RetryPolicy, ShopifyClient
from integrations.shopify.documents import Document, document
from integrations.shopify.errors import (
    ShopifyAccessDenied,
    ShopifyAuthError,
    ShopifyProtocolError,
    ShopifyUnavailable,
)
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.throttle import CostBucket
from tests.shopify_env import FAST

EXACT = RetryPolicy(budget_seconds=5.0, base_backoff=0.01, max_backoff=0.05, jitter=0)  # waits without jitter

DETAIL = document("OrderDetail")
TAGS_ADD = Document(
    "TagsAdd",
    "mutation",
    "mutation TagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { userErrors { field message } } }",
)
REFUND = Document(
    "RefundCreate",
    "mutation",
    "mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {"
    " refundCreate(input: $input) @idempotent(key: $idempotencyKey) { refund { id } userErrors { field message } } }",
)


@pytest.fixture
def fake() -> FakeShopify:
    with FakeShopify(demo_orders()) as server:
        yield server
        server.assert_no_rejections()


def client_for(fake: FakeShopify, **kwargs: object) -> ShopifyClient:
    return ShopifyClient(fake.admin_url, fake.access_token, **{"policy": FAST, **kwargs})  # type: ignore[arg-type]


def order_id(fake: FakeShopify) -> str:
    return fake.order_gid(demo_orders()[0])


def test_a_query_returns_data_and_reads_the_cost(fake: FakeShopify) -> None:
    client = client_for(fake)
    data = client.query(DETAIL, {"id": order_id(fake)})
    assert data["order"]["name"] == "#1001"
    assert client.stats.last_cost["throttleStatus"]["maximumAvailable"] == 1000.0
    assert client.bucket.cost_of("OrderDetail") == fake.calls[-1].requested_cost


def test_bursts_are_paced_so_they_are_not_throttled() -> None:
    # the smallest bucket a shop has (1,000 points): ten detail queries of about 480 points need several refills
    with FakeShopify(demo_orders(), bucket_max=1000, restore_rate=2000) as fake:
        client = client_for(fake)
        client.query(document("ShopInfo"))  # learns the bucket's size and rate from Shopify's answer
        for order in demo_orders()[:10]:
            client.query(DETAIL, {"id": fake.order_gid(order)})
        client.query(DETAIL, {"id": order_id(fake)})
        client.query(DETAIL, {"id": order_id(fake)})
        assert fake.throttled <= 1  # only a first call of an unknown cost may meet an empty bucket
        assert [c.outcome for c in fake.calls].count("ok") == 13


class Stopwatch:
    """Time as the client sees it: it moves only when the client waits, and each wait is an event."""

    def __init__(self, on_wait: Callable[[], None] = lambda: None) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        self._on_wait = on_wait

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            self.now += seconds
            self._on_wait()


def test_throttled_requests_wait_and_are_sent_again() -> None:
    # The shop's bucket restores nothing by itself: it fills up when the client has waited (the event), never
    # because the machine was slow between draining it and the client's request.
    with FakeShopify(demo_orders(), bucket_max=1000, restore_rate=0) as small:
        raw = httpx.Client(headers=small.headers)
        body = {"query": DETAIL.text, "variables": {"id": order_id(small)}}
        while raw.post(small.admin_url, json=body).json().get("data"):
            pass  # drain the bucket from outside the client
        time_ = Stopwatch(on_wait=small.refill)
        client = client_for(small, sleep=time_.sleep, clock=time_.clock, policy=EXACT)
        assert client.query(DETAIL, {"id": order_id(small)})["order"]["name"] == "#1001"
        assert client.stats.throttled == 1
        assert time_.waits == [1.0]  # Shopify reported no restore rate: a second, then the same request again
        outcomes = [c.outcome for c in small.calls_named("OrderDetail")]
        assert outcomes[-2:] == ["throttled", "ok"]


def test_a_throttle_wait_beyond_the_budget_gives_up_at_once() -> None:
    with FakeShopify(demo_orders(), bucket_max=1000, restore_rate=0) as small:
        raw = httpx.Client(headers=small.headers)
        body = {"query": DETAIL.text, "variables": {"id": order_id(small)}}
        while raw.post(small.admin_url, json=body).json().get("data"):
            pass
        time_ = Stopwatch(on_wait=small.refill)
        client = client_for(small, sleep=time_.sleep, clock=time_.clock, policy=RetryPolicy(budget_seconds=0.5))
        with pytest.raises(ShopifyUnavailable, match="busy"):
            client.query(DETAIL, {"id": order_id(small)})
        assert time_.waits == [] and client.stats.throttled == 1


def test_the_bucket_waits_for_what_it_lacks_at_the_restore_rate() -> None:
    cost = {
        "requestedQueryCost": 170,
        "throttleStatus": {"maximumAvailable": 400.0, "currentlyAvailable": 60.0, "restoreRate": 50.0},
    }
    assert CostBucket().throttled_wait(cost) == pytest.approx(2.2)  # (170 - 60) / 50
    time_ = Stopwatch()
    bucket = CostBucket(time_.clock)
    bucket.observe("OrderDetail", cost)
    assert bucket.reserve("OrderDetail") == pytest.approx(2.2)
    time_.now += 2.2  # what restored meanwhile went to the first request: the next one waits for all of its cost
    assert bucket.reserve("OrderDetail") == pytest.approx(3.4)
    time_.now += 10
    bucket.observe("OrderDetail", {**cost, "throttleStatus": {**cost["throttleStatus"], "currentlyAvailable": 400.0}})
    assert bucket.reserve("OrderDetail") == 0.0  # Shopify's report is the truth the bucket resyncs to


@pytest.mark.parametrize("kind", ["429", "503", "500", "502_html", "drop"])
def test_transient_failures_of_a_query_are_retried(fake: FakeShopify, kind: str) -> None:
    fake.fail_next(kind, times=2, retry_after=0.05)
    client = client_for(fake)
    assert client.query(DETAIL, {"id": order_id(fake)})["order"]["name"] == "#1001"
    assert [c.outcome for c in fake.calls_named("OrderDetail")] == [kind, kind, "ok"]


def test_a_timeout_is_retried_and_a_dead_shop_gives_up_in_words(fake: FakeShopify) -> None:
    fake.timeout_seconds = 2.0
    fake.fail_next("timeout")
    client = client_for(fake, timeout=0.3)
    assert client.query(DETAIL, {"id": order_id(fake)})["order"]["name"] == "#1001"

    fake.fail_next("timeout", times=50)
    hopeless = client_for(fake, timeout=0.2, policy=RetryPolicy(budget_seconds=0.8, base_backoff=0.05, max_backoff=0.1))
    with pytest.raises(ShopifyUnavailable, match="did not answer in time"):
        hopeless.query(DETAIL, {"id": order_id(fake)})
    fake.clear()


def test_a_wrong_token_is_named(fake: FakeShopify) -> None:
    client = ShopifyClient(fake.admin_url, "shpat_wrong", policy=FAST)
    with pytest.raises(ShopifyAuthError, match="SHOPIFY_ACCESS_TOKEN"):
        client.query(DETAIL, {"id": order_id(fake)})
    assert len(fake.calls) == 1  # never retried


def test_an_unexpected_answer_is_an_error_not_a_crash(fake: FakeShopify) -> None:
    fake.fail_next("bad_shape")
    with pytest.raises(ShopifyProtocolError, match="unexpected shape"):
        client_for(fake).query(DETAIL, {"id": order_id(fake)})


def test_a_missing_scope_is_named() -> None:
    with FakeShopify(demo_orders(), scopes=("read_orders",)) as fake:
        client = client_for(fake)
        with pytest.raises(ShopifyAccessDenied) as denied:
            client.query(document("CustomerSearch"), {"query": "jani", "first": 5})
        assert denied.value.scope == "read_customers"
        assert "`read_customers` access scope" in str(denied.value)


def test_a_mutation_whose_fate_is_unknown_is_not_sent_twice_without_a_key(fake: FakeShopify) -> None:
    applied: list[dict] = []
    fake.mutations["tagsAdd"] = lambda args, _d: (applied.append(args), {"userErrors": []})[1]
    fake.fail_next("apply_then_drop")
    client = client_for(fake)
    with pytest.raises(ShopifyUnavailable):
        client.mutate(TAGS_ADD, {"id": order_id(fake), "tags": ["x"]})
    assert len(applied) == 1

    # a read showing the first attempt did not happen makes the retry safe
    fake.fail_next("drop")
    client.mutate(TAGS_ADD, {"id": order_id(fake), "tags": ["y"]}, not_applied=lambda: True)
    assert [a["tags"] for a in applied] == [["x"], ["y"]]


def test_a_mutation_with_an_idempotency_key_is_retried_with_the_same_key(fake: FakeShopify) -> None:
    keys: list[str] = []
    fake.mutations["refundCreate"] = lambda _args, directives: (
        keys.append(directives["idempotent"]["key"]),
        {"refund": None, "userErrors": []},
    )[1]
    fake.fail_next("apply_then_drop")
    client = client_for(fake)
    client.mutate(REFUND, {"input": {"orderId": order_id(fake)}}, idempotency_key="refund-42-key")
    assert keys == ["refund-42-key", "refund-42-key"]
    with pytest.raises(ValueError, match="no @idempotent"):
        client.mutate(TAGS_ADD, {"id": order_id(fake), "tags": []}, idempotency_key="k")
