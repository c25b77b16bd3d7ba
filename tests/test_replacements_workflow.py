"""Replacements below Slack: the request (checks, limits, approvals shared with refunds) and its execution, once,
on the local store and on Shopify (the fake Admin API validating every document), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commands import refund_decisions
from commands.errors import UserError
from commands.replacement_form import ReplacementForm
from commands.replacements import ReplacementPolicy, options_for, request_replacement, variant_options
from commands.services import Services
from domain.orders import Address, Order, OrderQuery, SearchKind
from domain.refunds import RefundStatus, RequestKind
from domain.replacements import replacement_of
from domain.store import Store
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.shopify.standin.replacements import drafts_made
from integrations.shopify.standin.server import FakeShopify
from storage import audit
from storage import refunds as requests
from storage.db import Database
from tests.made_orders import orders_tagged
from tests.shopify_env import shopify
from tests.test_shopify_refunds import impatient

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
AGENT, LEAD = "U0AGENT", "U0LEAD"
HOME = Address(name="Aino Virtanen", address1="Mannerheimintie 1", zip="00100", city="Helsinki", country="FI")


class Shop:
    def __init__(self, store: Store, db: Database, fake: FakeShopify | None = None) -> None:
        self.store, self.db, self.fake = store, db, fake
        self.services = Services(db=db, store=store, clock=lambda: NOW)

    def order(self, name: str) -> Order:
        (summary,) = self.store.find_orders(OrderQuery(SearchKind.NUMBER, name.lstrip("#")), 1)
        found = self.store.get_order(summary.ref.id)
        assert found is not None
        return found

    def orders_tagged(self, tag: str) -> list[str]:
        return [order.name for order in orders_tagged(self.store, tag)]


@pytest.fixture(params=["local", "shopify"])
def shop(request: pytest.FixtureRequest, db: Database) -> Iterator[Shop]:
    seed_demo_orders(db)
    if request.param == "local":
        yield Shop(LocalStore(db, clock=lambda: NOW), db)
        return
    with shopify() as (fake, store):
        yield Shop(store, db, fake)


def form(order: Order, quantities: dict[int, int], **changes: object) -> ReplacementForm:
    lines = order.line_items
    base = ReplacementForm(
        quantities={lines[i].id: q for i, q in quantities.items()}, reason="damaged", address=order.shipping_address
        if not order.shipping_address.is_empty() else HOME, note="Box crushed in transit",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def ask(shop: Shop, name: str, quantities: dict[int, int], *, limit: str = "100", key: str = "s1", **changes: object):
    order = shop.order(name)
    return request_replacement(
        shop.services, ReplacementPolicy(Decimal(limit)), order, form(order, quantities, **changes),
        requester=AGENT, submission_key=key,
    )  # fmt: skip


def test_a_replacement_within_the_limit_is_made_once_with_the_tags_and_the_note(shop: Shop) -> None:
    requested = ask(shop, "#1001", {1: 1})  # one pack of socks, 29.90 at list price
    request = requested.request
    assert requested.created and request.kind is RequestKind.REPLACEMENT and request.status is RefundStatus.APPROVED
    assert request.amount == Decimal("29.90") and request.decided_by == "auto"

    executed = refund_decisions.execute(shop.services, request.id, actor=AGENT)
    assert executed.ran and executed.request.status is RefundStatus.SUCCEEDED, executed.request.failure
    name = executed.request.result["name"]
    made = shop.order(name)
    assert made.total.amount == 0 and made.financial_status.captured
    assert {"replacement", "replacement-for-1001"} <= set(made.tags)
    assert replacement_of(made.tags) == "1001"
    assert [(li.name, li.quantity) for li in made.line_items] == [("Wool Hiking Socks 3-pack - 43-46", 1)]
    original = shop.order("#1001")
    assert f"replaced-by-{name.lstrip('#')}" in original.tags
    assert f"Replacement {name} sent 2026-11-29 (damaged): 1 × Wool Hiking Socks 3-pack - 43-46" in original.note

    again = refund_decisions.execute(shop.services, request.id, actor=AGENT)  # a late second click
    assert not again.ran
    assert shop.orders_tagged("replacement") == [name]
    with shop.db.session() as s:
        actions = [e.action for e in audit.events_for(s, requests.subject(request.id))]
    assert actions == ["replacement.requested", "replacement.approved", "replacement.executing",
                       "replacement.succeeded"]  # fmt: skip


def test_over_the_limit_a_lead_approves_and_the_requester_may_not(shop: Shop) -> None:
    request = ask(shop, "#1001", {0: 1}).request  # the jacket, 289.00
    assert request.status is RefundStatus.PENDING_APPROVAL
    own = refund_decisions.approve(shop.services, request.id, user=AGENT, is_lead=lambda: True)
    assert own.refusal is refund_decisions.Refusal.OWN_REQUEST
    decided = refund_decisions.approve(shop.services, request.id, user=LEAD, is_lead=lambda: True)
    assert decided.won
    executed = refund_decisions.execute(shop.services, request.id, actor=LEAD)
    assert executed.request.status is RefundStatus.SUCCEEDED
    assert shop.orders_tagged("replacement") == [executed.request.result["name"]]


def test_a_double_submit_makes_one_request_and_a_second_is_refused_while_it_is_open(shop: Shop) -> None:
    first = ask(shop, "#1001", {0: 1})
    second = ask(shop, "#1001", {0: 1})
    assert second.request.id == first.request.id and not second.created
    other = ask(shop, "#1001", {1: 1}, key="s2")
    assert other.blocked and other.request.id == first.request.id
    # a replacement does not use up the refund limit, nor block a refund
    assert requests.open_for_order(shop.db, shop.store.kind, first.request.order_id) == []


@pytest.mark.parametrize(
    ("name", "quantities", "changes", "message"),
    [
        ("#1001", {0: 0, 1: 0}, {}, "Choose at least one item"),
        ("#1001", {1: 3}, {}, "Only 2 of Wool Hiking Socks"),
        ("#1019", {0: 1}, {}, "not paid yet"),
        ("#1014", {0: 1}, {}, "was cancelled"),
        ("#1001", {0: 1}, {"address": Address(name="Aino", city="Helsinki", country="FI")}, "street address"),
        ("#1001", {0: 1}, {"address": replace(HOME, country="Finland")}, "two-letter code"),
        ("#1001", {0: 1}, {"reason": ""}, "Choose why"),
        ("#1001", {0: 1}, {"variants": {}}, None),
    ],
)
def test_bad_input_is_refused_in_words_and_records_nothing(
    shop: Shop, name: str, quantities: dict[int, int], changes: dict[str, object], message: str | None
) -> None:
    if message is None:  # the control: the same form is accepted
        assert ask(shop, name, quantities, **changes).created
        return
    with pytest.raises(UserError, match=message):
        ask(shop, name, quantities, **changes)
    assert requests.with_status(shop.db, RefundStatus.PENDING_APPROVAL) == []
    assert requests.with_status(shop.db, RefundStatus.APPROVED) == []


def test_another_variant_is_read_from_the_store_and_a_vanished_one_is_refused(shop: Shop) -> None:
    options = variant_options(shop.services, "socks 40")
    assert options and all("40-42" in v.title for v in options)
    chosen = options[0]
    order = shop.order("#1001")
    requested = ask(shop, "#1001", {1: 1}, limit="1000", variants={order.line_items[1].id: chosen.id})
    executed = refund_decisions.execute(shop.services, requested.request.id, actor=AGENT)
    assert executed.request.status is RefundStatus.SUCCEEDED, executed.request.failure
    made = shop.order(executed.request.result["name"])
    assert [li.name for li in made.line_items] == ["Wool Hiking Socks 3-pack - 40-42"]

    gone = "gid://shopify/ProductVariant/999999" if shop.fake else "sku:NO-SUCH-SKU"
    with pytest.raises(UserError, match="not sold any more"):
        ask(shop, "#1006", {0: 1}, variants={shop.order("#1006").line_items[0].id: gone}, key="s3")


def test_shopify_out_of_stock_at_request_and_at_execution(db: Database) -> None:
    seed_demo_orders(db)
    with shopify() as (fake, store):
        shop = Shop(store, db, fake)
        jacket = variant_options(shop.services, "PO-KDJ-M-LIN")
        (variant,) = [v for v in jacket if v.sku == "PO-KDJ-M-LIN"]
        fake.drafts.set_stock(variant.id, 0)
        order = shop.order("#1001")
        with pytest.raises(UserError, match="out of stock"):
            ask(shop, "#1001", {0: 1}, variants={order.line_items[0].id: variant.id})

        # in stock when asked, gone when made: Shopify's userError on the line, the request failed, Retry works
        fake.drafts.set_stock(variant.id, 5)
        request = ask(shop, "#1001", {0: 1}, limit="1000", variants={order.line_items[0].id: variant.id}).request
        fake.drafts.set_stock(variant.id, 0)
        failed = refund_decisions.execute(shop.services, request.id, actor=AGENT).request
        assert failed.status is RefundStatus.FAILED and "out of stock" in failed.failure
        assert drafts_made(fake) == []
        fake.drafts.set_stock(variant.id, 5)
        done = refund_decisions.execute(shop.services, request.id, actor=AGENT, retry=True).request
        assert done.status is RefundStatus.SUCCEEDED
        assert len(drafts_made(fake)) == 1


def test_shopify_a_timeout_after_the_draft_was_made_makes_one_replacement(db: Database) -> None:
    seed_demo_orders(db)
    with shopify() as (fake, _store), impatient(fake) as store:
        shop = Shop(store, db, fake)
        request = ask(shop, "#1001", {1: 1}).request
        fake.fail_next("apply_then_timeout", operation="ReplacementDraftCreate")
        executed = refund_decisions.execute(shop.services, request.id, actor=AGENT).request
        assert executed.status is RefundStatus.SUCCEEDED, executed.failure
        assert len(drafts_made(fake)) == 1
        assert [c.outcome for c in fake.calls_named("ReplacementDraftCreate")] == ["apply_then_timeout"]
        assert shop.orders_tagged("replacement") == [executed.result["name"]]


def test_shopify_a_failed_completion_is_completed_on_retry_never_a_second_draft(db: Database) -> None:
    seed_demo_orders(db)
    with shopify() as (fake, store):
        shop = Shop(store, db, fake)
        request = ask(shop, "#1001", {1: 1}).request
        fake.drafts.fail_completions = 1
        failed = refund_decisions.execute(shop.services, request.id, actor=AGENT).request
        assert failed.status is RefundStatus.FAILED and "could not be completed" in failed.failure
        assert [d["status"] for d in drafts_made(fake)] == ["OPEN"]
        done = refund_decisions.execute(shop.services, request.id, actor=AGENT, retry=True).request
        assert done.status is RefundStatus.SUCCEEDED
        assert [d["status"] for d in drafts_made(fake)] == ["COMPLETED"]
        assert len(fake.calls_named("ReplacementDraftCreate")) == 1
        note = shop.order("#1001").note
        assert note.count(f"Replacement {done.result['name']}") == 1


def test_the_form_opens_with_the_address_and_refuses_orders_that_cannot_have_one(shop: Shop) -> None:
    opened = options_for(shop.services, shop.order("#1001"))
    assert opened.form.address == shop.order("#1001").shipping_address
    assert [li.name for li in opened.lines][:1] == ["Kaamos Down Jacket - M / Lingonberry"]
    with pytest.raises(UserError, match="not paid yet"):
        options_for(shop.services, shop.order("#1022"))


def test_two_instances_carrying_it_out_at_once_make_one_replacement(shop: Shop) -> None:
    request = ask(shop, "#1001", {1: 1}).request
    start = threading.Barrier(2)
    results: list[refund_decisions.Executed] = []

    def carry_out() -> None:
        start.wait()
        results.append(refund_decisions.execute(shop.services, request.id, actor=AGENT))

    threads = [threading.Thread(target=carry_out) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.ran for r in results) == [False, True]
    assert len(shop.orders_tagged("replacement")) == 1
    assert requests.get(shop.db, request.id).status is RefundStatus.SUCCEEDED


def test_the_replacement_limit_is_the_refund_limit_unless_set(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from bot.common.context import RefundSetup
    from bot.main.config import ConfigError, load_settings
    from commands.refunds import RefundPolicy

    assert RefundSetup(policy=RefundPolicy(Decimal(50))).replacement_policy == ReplacementPolicy(Decimal(50))
    zero = RefundSetup(policy=RefundPolicy(Decimal(50)), replacement_limit=Decimal(0))
    assert zero.replacement_policy == ReplacementPolicy(Decimal(0))  # every replacement before a team lead
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    monkeypatch.setenv("REPLACEMENT_AUTO_APPROVE_LIMIT", "")
    assert load_settings().REPLACEMENT_AUTO_APPROVE_LIMIT is None
    monkeypatch.setenv("REPLACEMENT_AUTO_APPROVE_LIMIT", "-5")
    with pytest.raises(ConfigError, match="REPLACEMENT_AUTO_APPROVE_LIMIT"):
        load_settings()
