"""Cancelling an order end to end: signed Slack requests into the bot, the fake Slack, the store (local and the fake
Shopify, whose orderCancel runs as a job), a real SMTP server and both databases.

An agent cancels an unfulfilled paid order from its card or `/cancel-order`; a team lead approves what refunds more
than the limit; unused labels are voided first, the order is refunded once and restocked, the customer is told in
their language, and the thread, the card and the audit say so. Every guard answers in words and changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.app import make_client
from bot.common.approvers import Approvers
from bot.common.context import BotContext, RefundSetup
from bot.common.ids import ActionId, BlockId
from bot.lifecycle.notifier import SlackNotifier
from bot.shell.standin import initial_values, interactive_form, signed_headers, state_value, view_submission_payload
from commands import tick as ticks
from commands.refunds import RefundPolicy
from commands.services import MovableClock, ReturnSettings, Services
from domain.money import Money
from domain.orders import Address, FinancialStatus, FulfillmentStatus
from domain.refunds import RefundLineChoice, RefundPlan
from domain.store import Store
from domain.vocabulary import Delivery, LabelStatus, ReturnStatus
from integrations.carriers.local import LocalCarrier
from integrations.carriers.shipit.standin import FakeShipit
from integrations.labels import tracking
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import SmtpMailer
from integrations.shopify.cancellation import JobPolling
from integrations.shopify.standin.cancellation import cancels_applied
from integrations.shopify.standin.server import FakeShopify
from storage import audit, return_lifecycle
from storage import cancellations as stored
from storage import returns as returns_stored
from storage.db import Database
from storage.serials import next_serial
from tests.carrier_env import shipit_carrier
from tests.shopify_env import shopify
from tests.slack_harness import (
    AGENT,
    APPROVALS,
    CHANNEL,
    LEAD,
    SIGNING_SECRET,
    SlackHarness,
    ack_text,
    block_texts,
    shell,
    start_harness,
)
from tests.smtp_sink import Sink, smtp_sink
from tests.test_shopify_refunds import impatient

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
LEADS = Approvers(user_ids=frozenset({LEAD}))
WAREHOUSE = Address(name="Returnbot Demo", address1="Varastokatu 1", city="Helsinki", zip="00100", country="FI")
SHOP = ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo")


class FakeTime:
    """Time as the job poller sees it: a sleep moves it on, nobody waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@dataclass
class Shop:
    """The store under test and, on Shopify, its fake."""

    store: Store
    fake: FakeShopify | None = None
    time: FakeTime | None = None

    def order_id(self, number: str) -> str:
        local = str(int(number.lstrip("#")) - 1000)
        return self.fake.order_gid(local) if self.fake is not None else local


@pytest.fixture(params=["local", "shopify"])
def shop(request: pytest.FixtureRequest, db: Database) -> Iterator[Shop]:
    seed_demo_orders(db)
    if request.param == "local":
        yield Shop(LocalStore(db, clock=lambda: NOW))
        return
    with shopify() as (fake, store):
        time = FakeTime()
        store.job_polling = JobPolling(interval=1.0, budget=5.0, sleep=time.sleep, clock=time.clock)
        yield Shop(store, fake, time)


@pytest.fixture
def mail() -> Iterator[tuple[str, Sink]]:
    with smtp_sink() as sink:
        yield sink


def make_services(db: Database, store: Store, mail_url: str) -> Services:
    clock = MovableClock(NOW, real=None)
    services = Services(db=db, store=store, clock=clock, mailer=SmtpMailer(mail_url), returns=SHOP)
    services.carrier = LocalCarrier(lambda: next_serial(db, "tracking", clock()))
    return services


def harness(services: Services, limit: Decimal = Decimal(0)) -> SlackHarness:
    setup = RefundSetup(approvals_channel=APPROVALS, approvers=LEADS, policy=RefundPolicy(limit))
    return start_harness(services, refunds=setup)


@pytest.fixture
def slack(db: Database, shop: Shop, mail: tuple[str, Sink]) -> Iterator[SlackHarness]:
    h = harness(make_services(db, shop.store, mail[0]))
    yield h
    h.close()
    h.fake.assert_no_errors()


# -- driving Slack -------------------------------------------------------------------------------------------------


def card_for(slack: SlackHarness, order: str) -> dict[str, Any]:
    slack.command("/order", order)
    return slack.posted()[-1]


def open_form(slack: SlackHarness, card: dict[str, Any], action: str = ActionId.CANCEL_OPEN) -> dict[str, Any]:
    slack.click(card, action)
    view_id = slack.fake.calls_to("views.open")[-1].response["view"]["id"]
    return slack.fake.views[view_id]


def filled(view: dict[str, Any], *, note: str | None = None, refund: str | None = None) -> dict[str, Any]:
    values = initial_values(view)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    if note is not None:
        values[BlockId.C_NOTE] = {ActionId.CANCEL_FIELD: state_value(blocks[BlockId.C_NOTE]["element"], note)}
    if refund is not None:
        values[BlockId.C_REFUND] = {ActionId.CANCEL_FIELD: state_value(blocks[BlockId.C_REFUND]["element"], refund)}
    return values


def submit(slack: SlackHarness, view: dict[str, Any], values: dict[str, Any], *, settle: bool = True) -> Any:
    body = interactive_form(view_submission_payload(AGENT, view, values))
    response = slack.post(body, headers=signed_headers(SIGNING_SECRET, body))
    if settle:
        slack.settle()
    return response


def modal_text(slack: SlackHarness) -> str:
    view = slack.fake.calls_to("views.update")[-1].args["view"]
    return block_texts(view)


def thread_texts(slack: SlackHarness, card: dict[str, Any]) -> str:
    return "\n".join(block_texts(m) for m in slack.fake.thread(CHANNEL, card["ts"])[1:])


def approve(slack: SlackHarness) -> None:
    message = slack.fake.messages(APPROVALS)[-1]
    current = slack.fake.message(APPROVALS, message["ts"])
    assert current is not None
    slack.click(current, ActionId.REFUND_APPROVE, user=LEAD, channel=APPROVALS)


def tick(slack: SlackHarness) -> ticks.TickReport:
    ctx = BotContext(slack.services, slack.worker, refunds=RefundSetup(approvals_channel=APPROVALS))
    notifier = SlackNotifier(make_client("xoxb-test", slack.fake.url), ctx)
    report = ticks.tick(slack.services, notifier, now=slack.services.clock(), owner="test")
    slack.settle()
    return report


def unused_label(
    services: Services, order_id: str, name: str, *, tracking_number: str = "", carrier: str = "local"
) -> str:
    """A return with a label that was never used, as the bot makes them; its RMA."""
    new = returns_stored.NewCase(
        store=services.store.kind, order_id=order_id, order_name=name, delivery=Delivery.DROP_OFF, pickup_date=None,
        pickup_phone="", weight_grams=1000, items=[], sender=SHOP.address, customer_email="", email_customer=False,
        language="en", requested_by=AGENT, slack_channel="", slack_thread_ts="",
    )  # fmt: skip
    rma = returns_stored.insert_case(services.db, new, {}, f"R{name.lstrip('#')}", NOW)[0].rma
    number = tracking_number or tracking.make(next_serial(services.db, "tracking", NOW), service="RB", country="FI")
    label = returns_stored.NewLabel(carrier=carrier, service="Return", tracking_number=number,
                                    tracking_url="https://track.example.com/" + number, pdf=b"%PDF-1.4")  # fmt: skip
    returns_stored.add_label(services.db, rma, label, NOW)
    return rma


def audit_actions(services: Services, order: str) -> list[str]:
    with services.db.session() as s:
        return [e.action for e in audit.events_for_order(s, order)]


# -- the happy path ------------------------------------------------------------------------------------------------


def test_an_agent_cancels_a_paid_unfulfilled_order_and_a_lead_approves(
    slack: SlackHarness, shop: Shop, mail: tuple[str, Sink]
) -> None:
    services = slack.services
    order_id = shop.order_id("#1024")
    rma = unused_label(services, order_id, "#1024")
    label = returns_stored.get_case(services.db, rma).label  # type: ignore[union-attr]
    assert label is not None
    card = card_for(slack, "#1024")
    form = open_form(slack, card)
    assert "167.90 EUR" in block_texts(form) and "needs a team lead's approval" in block_texts(form)

    submit(slack, form, filled(form, note="Customer asked by phone"))

    assert "with the team leads" in modal_text(slack)
    assert "waiting for a team lead" in thread_texts(slack, card)
    assert services.store.get_order(order_id).cancelled_at is None  # type: ignore[union-attr]  # nothing before the lead

    approve(slack)

    order = services.store.get_order(order_id)
    assert order is not None and order.cancelled
    assert order.refunded == Money(Decimal("167.90"), "EUR") and order.financial_status is FinancialStatus.REFUNDED
    assert order.fulfillment_status is FulfillmentStatus.RESTOCKED
    case = returns_stored.get_case(services.db, rma, label_id=label.id)
    assert case is not None and case.status is ReturnStatus.CANCELLED and case.label is not None
    assert case.label.status is LabelStatus.VOIDED
    said = thread_texts(slack, card)
    assert "Order #1024 cancelled" in said and "167.90 EUR refunded to the original payment method" in said
    assert "items restocked" in said and rma in said
    [cancellation] = [stored.for_order(services.db, services.store.kind, order_id)]
    assert cancellation is not None and cancellation.status is stored.CancelStatus.DONE
    assert cancellation.refunded == Money(Decimal("167.90"), "EUR")
    actions = audit_actions(services, "#1024")
    assert {"order_cancel.requested", "cancellation.approved", "order_cancel.done"} <= set(actions)
    if shop.fake is not None:  # Shopify tells the customer itself, and was asked to
        assert "the store notified the customer" in said and not mail[1].messages
        [sent] = shop.fake.calls_named("OrderCancel")
        assert sent.variables["notifyCustomer"] is True and sent.variables["staffNote"] == "Customer asked by phone"
        assert cancels_applied(shop.fake, order_id) == 1
    else:  # the local store has no mail of its own: the bot writes, in the customer's language (Latvian)
        [message] = mail[1].messages
        assert message["To"] == "janis.berzins@example.com" and message["Subject"] == "Jūsu pasūtījums #1024 ir atcelts"
        assert "167.90 EUR" in message.get_content() and "e-mailed a cancellation notice" in said

    redrawn = slack.fake.message(CHANNEL, card["ts"])  # redrawn as soon as the lead's approval has run
    assert redrawn is not None and "cancelled" in block_texts(redrawn)
    assert not any(e.get("action_id") == ActionId.CANCEL_OPEN for b in redrawn["blocks"] for e in b.get("elements", []))
    tick(slack)
    tick(slack)
    assert len(mail[1].messages) == (0 if shop.fake is not None else 1)  # nothing is sent twice


def test_within_the_limit_the_command_cancels_at_once(db: Database, shop: Shop, mail: tuple[str, Sink]) -> None:
    h = harness(make_services(db, shop.store, mail[0]), limit=Decimal(500))
    try:
        h.command("/cancel-order", "#1023")
        view_id = h.fake.calls_to("views.open")[-1].response["view"]["id"]
        form = h.fake.views[view_id]
        submit(h, form, filled(form))
        assert "Order #1023 cancelled" in modal_text(h)
        card = h.posted()[-1]
        redrawn = h.fake.message(CHANNEL, card["ts"])
        assert redrawn is not None and "cancelled" in block_texts(redrawn)
        assert h.services.store.get_order(shop.order_id("#1023")).cancelled  # type: ignore[union-attr]
        assert not h.fake.messages(APPROVALS)
    finally:
        h.close()


# -- guards --------------------------------------------------------------------------------------------------------


def test_every_guard_answers_in_words_and_changes_nothing(slack: SlackHarness, shop: Shop) -> None:
    services = slack.services

    slack.command("/cancel-order", "#1001")
    assert "Use a return instead" in modal_text(slack) and "Create return" in modal_text(slack)
    card = slack.posted()[-1]  # the shipped order's card, with its Create return
    assert any(e.get("action_id") == ActionId.RETURN_MENU for b in card["blocks"] for e in b.get("elements", []))

    slack.command("/cancel-order", "#1017")
    assert "partly shipped" in modal_text(slack)
    slack.command("/cancel-order", "#1019")
    assert "payment of order #1019 is still pending" in modal_text(slack) and "Wait until" in modal_text(slack)
    slack.command("/cancel-order", "#1007")
    assert "#1007 was cancelled" in modal_text(slack)

    moving = unused_label(services, shop.order_id("#1021"), "#1021")
    return_lifecycle.in_transit(services.db, moving, at=NOW)
    slack.command("/cancel-order", "#1021")
    assert f"has an open return: {moving} (in transit)" in modal_text(slack)

    assert ack_text(slack.command("/cancel-order", "")).startswith("Say which order to cancel.")
    for number in ("#1001", "#1017", "#1019", "#1021"):
        order = services.store.get_order(shop.order_id(number))
        assert order is not None and not order.cancelled
        assert stored.for_order(services.db, services.store.kind, shop.order_id(number)) is None
    cards = [m for m in slack.posted() if m.get("blocks")]
    buttons = {e.get("action_id") for m in cards for b in m["blocks"] for e in b.get("elements", [])}
    assert ActionId.CANCEL_OPEN not in buttons  # none of these orders offers it


def test_refunds_made_before_are_told_and_only_what_is_left_goes_back(slack: SlackHarness, shop: Shop) -> None:
    services = slack.services
    order_id = shop.order_id("#1020")
    quote = services.store.refund_quote(order_id, _one_line(services, order_id))
    plan = RefundPlan(order_id, _one_line(services, order_id).lines, Decimal(0), quote.transactions)
    services.store.create_refund(plan, idempotency_key="before-the-cancellation")
    before = quote.amount
    card = card_for(slack, "#1020")
    form = open_form(slack, card)
    left = Money(Decimal("2535.00"), "SEK") - before
    assert f"{before} has been refunded on #1020 already: the cancellation refunds what is left, {left}" in (
        block_texts(form)
    )
    submit(slack, form, filled(form))
    approve(slack)
    order = services.store.get_order(order_id)
    assert order is not None and order.cancelled and order.refunded == Money(Decimal("2535.00"), "SEK")
    assert f"{left} refunded" in thread_texts(slack, card)


def _one_line(services: Services, order_id: str) -> Any:
    from domain.refunds import RefundChoice

    order = services.store.get_order(order_id)
    assert order is not None
    return RefundChoice((RefundLineChoice(order.line_items[0].id, 1),))


def test_a_staff_note_over_255_characters_is_a_field_error(slack: SlackHarness, shop: Shop) -> None:
    card = card_for(slack, "#1024")
    form = open_form(slack, card)
    response = submit(slack, form, filled(form, note="x" * 256))
    assert response.json()["response_action"] == "errors"
    assert "255 characters" in response.json()["errors"][BlockId.C_NOTE]
    assert stored.for_order(slack.services.db, slack.services.store.kind, shop.order_id("#1024")) is None


def test_a_double_submit_makes_one_cancellation(db: Database, shop: Shop, mail: tuple[str, Sink]) -> None:
    h = harness(make_services(db, shop.store, mail[0]), limit=Decimal(1000))
    try:
        card = card_for(h, "#1024")
        form = open_form(h, card)
        values = filled(form)
        start = threading.Barrier(2)

        def press() -> None:
            start.wait()
            submit(h, form, values, settle=False)

        presses = [threading.Thread(target=press) for _ in range(2)]
        for p in presses:
            p.start()
        for p in presses:
            p.join()
        h.settle()
        order_id = shop.order_id("#1024")
        order = h.services.store.get_order(order_id)
        assert order is not None and order.cancelled and order.refunded == Money(Decimal("167.90"), "EUR")
        if shop.fake is not None:
            assert len(shop.fake.calls_named("OrderCancel")) == 1 and cancels_applied(shop.fake, order_id) == 1
        else:
            assert len([t for t in order.transactions if t.kind == "refund"]) == 1
            assert len(mail[1].messages) == 1
    finally:
        h.close()


def test_a_label_that_cannot_be_voided_stops_the_cancellation(slack: SlackHarness, shop: Shop) -> None:
    services = slack.services
    order_id = shop.order_id("#1024")
    rma = unused_label(services, order_id, "#1024", tracking_number="JJFI00000000001")  # not the local carrier's
    card = card_for(slack, "#1024")
    form = open_form(slack, card)
    submit(slack, form, filled(form))
    approve(slack)
    said = thread_texts(slack, card)
    assert f"of return {rma} could not be voided" in said and "Nothing was cancelled" in said
    order = services.store.get_order(order_id)
    assert order is not None and not order.cancelled and order.refunded.is_zero()
    if shop.fake is not None:
        assert not shop.fake.calls_named("OrderCancel")


def test_a_label_its_carrier_cannot_cancel_expires_and_the_cancellation_goes_on(
    slack: SlackHarness, shop: Shop
) -> None:
    # Shipit has no cancel: its unused label is recorded as expiring (as the Void button does) and Shipit is not
    # asked, where the local carrier, the default, would refuse a tracking number it never made
    services = slack.services
    order_id = shop.order_id("#1024")
    with FakeShipit(shop_zip=WAREHOUSE.zip, today=lambda: NOW.date()) as fake:
        shipit = shipit_carrier(fake)
        services.carriers = {"shipit": shipit}
        try:
            rma = unused_label(services, order_id, "#1024", tracking_number="JJFI00000000001", carrier="shipit")
            made = returns_stored.get_case(services.db, rma)
            assert made is not None and made.label is not None
            card = card_for(slack, "#1024")
            form = open_form(slack, card)
            submit(slack, form, filled(form))
            approve(slack)
        finally:
            shipit.close()
        assert not fake.calls  # nothing to ask: Shipit cannot cancel labels
    order = services.store.get_order(order_id)
    assert order is not None and order.cancelled
    case = returns_stored.get_case(services.db, rma, label_id=made.label.id)
    assert case is not None and case.status is ReturnStatus.CANCELLED
    assert case.label is not None and case.label.status is LabelStatus.VOIDED
    assert "cannot cancel labels" in case.label.void_note
    assert "Order #1024 cancelled" in thread_texts(slack, card)


# -- Shopify's job -------------------------------------------------------------------------------------------------


@pytest.fixture
def shopify_slack(db: Database, mail: tuple[str, Sink]) -> Iterator[tuple[SlackHarness, Shop]]:
    seed_demo_orders(db)
    with shopify() as (fake, store):
        time = FakeTime()
        store.job_polling = JobPolling(interval=1.0, budget=3.0, sleep=time.sleep, clock=time.clock)
        h = harness(make_services(db, store, mail[0]), limit=Decimal(1000))
        yield h, Shop(store, fake, time)
        h.close()
        h.fake.assert_no_errors()


def test_a_job_that_outlives_the_budget_is_finished_by_the_next_tick(shopify_slack: tuple[SlackHarness, Shop]) -> None:
    slack, shop = shopify_slack
    assert shop.fake is not None and shop.time is not None
    shop.fake.cancellations.polls_until_done = 10
    card = card_for(slack, "#1024")
    form = open_form(slack, card)
    submit(slack, form, filled(form))
    assert "still cancelling #1024" in thread_texts(slack, card)
    assert shop.time.slept == [1.0, 1.0, 1.0]  # polled at the interval, within the budget
    order_id = shop.order_id("#1024")
    assert stored.for_order(slack.services.db, "shopify", order_id).status is stored.CancelStatus.RUNNING  # type: ignore[union-attr]

    shop.fake.cancellations.polls_until_done = 0  # the next look finds it done
    report = tick(slack)

    assert report.cancelled == 1
    said = thread_texts(slack, card)
    assert "Order #1024 is cancelled" in said and "2,535.00" not in said and "167.90 EUR refunded" in said
    assert cancels_applied(shop.fake, order_id) == 1 and len(shop.fake.calls_named("OrderCancel")) == 1
    assert "cancelled" in block_texts(slack.fake.message(CHANNEL, card["ts"]) or {})
    assert tick(slack).cancelled == 0


def test_a_job_that_fails_is_told_and_nothing_is_cancelled(shopify_slack: tuple[SlackHarness, Shop]) -> None:
    slack, shop = shopify_slack
    assert shop.fake is not None
    shop.fake.cancellations.fail_jobs = True
    card = card_for(slack, "#1024")
    form = open_form(slack, card)
    submit(slack, form, filled(form))
    said = thread_texts(slack, card)
    assert "without cancelling the order" in said
    order = slack.services.store.get_order(shop.order_id("#1024"))
    assert order is not None and not order.cancelled


def test_a_timeout_after_shopify_cancelled_is_found_by_cancelled_at_and_not_sent_again(db: Database) -> None:
    seed_demo_orders(db)
    with shopify() as (fake, _store), impatient(fake) as store:
        time = FakeTime()
        store.job_polling = JobPolling(sleep=time.sleep, clock=time.clock)
        fake.timeout_seconds = 0.6
        fake.cancellations.polls_until_done = 0
        fake.fail_next("apply_then_timeout", operation="OrderCancel")
        from domain.cancellations import CancelPlan, CancelReason, CancelRefund

        order_id = fake.order_gid("24")
        progress = store.cancel_order(CancelPlan(order_id, CancelReason.CUSTOMER, CancelRefund.ORIGINAL, True, True))
        assert progress.done and progress.cancelled_at is not None
        assert len(fake.calls_named("OrderCancel")) == 1 and cancels_applied(fake, order_id) == 1
        again = store.cancel_order(CancelPlan(order_id, CancelReason.CUSTOMER, CancelRefund.ORIGINAL, True, True))
        assert again.done and len(fake.calls_named("OrderCancel")) == 1


def test_a_high_risk_order_offers_cancel_as_fraud_and_a_person_decides(
    shopify_slack: tuple[SlackHarness, Shop],
) -> None:
    slack, shop = shopify_slack
    assert shop.fake is not None
    order_id = shop.order_id("#1023")
    shop.fake.cancellations.set_risk(order_id, "HIGH")
    card = card_for(slack, "#1023")
    assert "Fraud risk: high" in block_texts(card)
    form = open_form(slack, card, ActionId.CANCEL_FRAUD)
    reason = next(b for b in form["blocks"] if b.get("block_id") == BlockId.C_REASON)["element"]
    assert reason["initial_option"]["value"] == "FRAUD"
    order = slack.services.store.get_order(order_id)
    assert order is not None and not order.cancelled  # shown, never acted on by itself
    submit(slack, form, filled(form))
    [sent] = shop.fake.calls_named("OrderCancel")
    assert sent.variables["reason"] == "FRAUD"
    low = card_for(slack, "#1022")
    assert "Fraud risk" not in block_texts(low)


def test_store_credit_is_offered_where_the_store_has_it(slack: SlackHarness, shop: Shop) -> None:
    card = card_for(slack, "#1024")
    form = open_form(slack, card)
    refund = next(b for b in form["blocks"] if b.get("block_id") == BlockId.C_REFUND)["element"]
    values = {o["value"] for o in refund["options"]}
    assert ("store_credit" in values) is (shop.fake is not None)
    assert "original" in values and "none" in values


def test_in_the_shell_an_agent_cancels_and_the_lead_approves(db: Database, mail: tuple[str, Sink]) -> None:
    seed_demo_orders(db)
    services = make_services(db, LocalStore(db, clock=lambda: NOW), mail[0])
    # the form: Enter keeps the reason, the refund, restock and notify as offered, and an empty staff note
    out = shell(services, "/cancel-order #1001", "/cancel-order #1024", "", "", "", "", "as lead", "1")
    assert "Use a return instead" in out
    assert "Cancellation request #1" in out and "Order #1024 cancelled: 167.90 EUR refunded" in out
    [message] = mail[1].messages
    assert message["Subject"] == "Jūsu pasūtījums #1024 ir atcelts"
