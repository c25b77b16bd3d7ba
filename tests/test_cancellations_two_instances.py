"""Two instances of the bot on one database: a cancellation runs once, however many of them start it at the same
moment (a lead's double click reaching both, the tick of both finding the same store job done)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import pytest

from commands import cancellation_run, cancellations, refund_decisions
from commands.errors import UserError
from commands.services import Services
from domain.money import Money
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.shopify.cancellation import JobPolling
from integrations.shopify.client import ShopifyClient
from integrations.shopify.standin.cancellation import cancels_applied
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore
from storage import cancellations as stored
from storage.db import Database
from tests.shopify_env import FAST, shopify

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
T = TypeVar("T")


def no_wait(_seconds: float) -> None:
    """The job poller's sleep: the fake's job is driven by looks, not by time."""


@pytest.fixture(params=["local", "shopify"])
def instances(request: pytest.FixtureRequest, db: Database) -> Iterator[tuple[Services, Services, FakeShopify | None]]:
    """Two instances' services: their own store clients, one database."""
    seed_demo_orders(db)
    if request.param == "local":
        yield Services(db, LocalStore(db, clock=lambda: NOW), clock=lambda: NOW), Services(
            db, LocalStore(db, clock=lambda: NOW), clock=lambda: NOW
        ), None
        return
    with shopify() as (fake, first):
        other = ShopifyStore(ShopifyClient(fake.admin_url, fake.access_token, policy=FAST), fake.shop_domain)
        for store in (first, other):
            store.job_polling = JobPolling(interval=1.0, budget=0.5, sleep=no_wait)  # hand the job to the tick
        try:
            yield Services(db, first, clock=lambda: NOW), Services(db, other, clock=lambda: NOW), fake
        finally:
            other.client.close()


def at_once(*calls: Callable[[], T]) -> list[T]:
    """Run the calls on their own threads, released together."""
    start = threading.Barrier(len(calls))
    results: list[T] = []
    lock = threading.Lock()

    def run(call: Callable[[], T]) -> None:
        start.wait()
        result = call()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def order_id(services: Services, fake: FakeShopify | None) -> str:
    return fake.order_gid("24") if fake is not None else "24"


def test_two_instances_starting_one_cancellation_cancel_once(
    instances: tuple[Services, Services, FakeShopify | None],
) -> None:
    a, b, fake = instances
    order = a.store.get_order(order_id(a, fake))
    assert order is not None
    requested = cancellations.request_cancellation(
        a, order, cancellations.CancelForm(), requester="U_AGENT", submission_key="one", auto_approve_limit=Decimal(0)
    )
    assert requested.request is not None
    request_id = requested.request.id
    refund_decisions.approve(a, request_id, user="U_LEAD", is_lead=lambda: True)

    ran = at_once(
        lambda: refund_decisions.execute(a, request_id, actor="U_LEAD"),
        lambda: refund_decisions.execute(b, request_id, actor="U_LEAD"),
    )

    assert sorted(r.ran for r in ran) == [False, True]
    if fake is not None:  # the job outlived the budget: both instances' ticks look at it at once
        fake.cancellations.polls_until_done = 0
        finished = at_once(
            lambda: cancellation_run.check_running(a, now=NOW), lambda: cancellation_run.check_running(b, now=NOW)
        )
        assert sum(len(f) for f in finished) == 1
        assert len(fake.calls_named("OrderCancel")) == 1 and cancels_applied(fake, order.ref.id) == 1
    done = stored.for_order(a.db, a.store.kind, order.ref.id)
    assert done is not None and done.status is stored.CancelStatus.DONE
    assert done.refunded == Money(Decimal("167.90"), "EUR")
    again = a.store.get_order(order.ref.id)
    assert again is not None and again.cancelled and again.refunded == Money(Decimal("167.90"), "EUR")



def test_a_rejected_cancellation_can_be_asked_for_again_and_only_the_new_plan_runs(db: Database) -> None:
    seed_demo_orders(db)
    services = Services(db, LocalStore(db, clock=lambda: NOW), clock=lambda: NOW)
    order = services.store.get_order("24")
    assert order is not None
    first = cancellations.request_cancellation(services, order, cancellations.CancelForm(), requester="U_AGENT",
                                               submission_key="first", auto_approve_limit=Decimal(0))  # fmt: skip
    assert first.request is not None
    with pytest.raises(UserError, match="waiting for a team lead's approval"):
        cancellations.options_for(services, order)
    refund_decisions.reject(services, first.request.id, user="U_LEAD", reason="Call the customer first",
                            is_lead=lambda: True)  # fmt: skip

    cancellations.options_for(services, order)  # open again: the rejection is seen
    assert stored.get(db, first.cancellation.id).status is stored.CancelStatus.REJECTED
    second = cancellations.request_cancellation(services, order, cancellations.CancelForm(), requester="U_AGENT",
                                                submission_key="second", auto_approve_limit=Decimal(0))  # fmt: skip
    assert second.request is not None and second.cancellation.plan_no == 2
    assert second.cancellation.id == first.cancellation.id  # one record per order, planned anew
    refund_decisions.approve(services, second.request.id, user="U_LEAD", is_lead=lambda: True)
    assert refund_decisions.execute(services, second.request.id, actor="U_LEAD").ran
    done = stored.get(db, first.cancellation.id)
    assert done.status is stored.CancelStatus.DONE and done.approval_request_id == second.request.id
