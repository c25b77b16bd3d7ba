"""The local store's refunds: quotes, the ledger they write, idempotency and races, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from domain.money import Money
from domain.orders import FinancialStatus, Order, OrderQuery, SearchKind
from domain.refunds import (
    RefundableLine,
    RefundChoice,
    RefundLineChoice,
    RefundPlan,
    RefundQuote,
    RefundTransaction,
    StoreRefund,
)
from domain.store import RefundRefused, StoreError
from integrations.local_store import refunds as refunds_module
from integrations.local_store.importer import import_orders
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage import refunds
from storage.db import Database, make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import AuditEventRow, LineItemRow, OrderRow, RefundRequestRow, TransactionRow
from storage.refunds import RefundDraft

T0 = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)
SOCKS = "Wool Hiking Socks 3-pack - 43-46"  # #1001: 2 × 29.90, shipped
EUR = "EUR"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), EUR)


@pytest.fixture
def store(db: Database) -> LocalStore:
    seed_demo_orders(db)
    return LocalStore(db, clock=lambda: T0)


def order_id(store: LocalStore, name: str) -> str:
    (summary,) = store.find_orders(OrderQuery(SearchKind.NUMBER, name.lstrip("#")), 1)
    return summary.ref.id


def order(store: LocalStore, name: str) -> Order:
    found = store.get_order(order_id(store, name))
    assert found is not None
    return found


def line_id(store: LocalStore, name: str, item: str) -> str:
    return next(li.id for li in order(store, name).line_items if li.name.startswith(item))


def quote_line(quote: RefundQuote, item: str) -> RefundableLine:
    return next(li for li in quote.lines if li.name.startswith(item))


def choose(store: LocalStore, name: str, *lines: tuple[str, int], shipping: str = "0") -> RefundChoice:
    return RefundChoice(
        lines=tuple(RefundLineChoice(line_id(store, name, item), qty) for item, qty in lines),
        shipping=Decimal(shipping),
    )


def quoted_plan(store: LocalStore, name: str, *lines: tuple[str, int], shipping: str = "0") -> RefundPlan:
    """The plan the refund form would freeze: the choice with the quote's transactions."""
    choice = choose(store, name, *lines, shipping=shipping)
    oid = order_id(store, name)
    quote = store.refund_quote(oid, choice)
    return RefundPlan(oid, choice.lines, choice.shipping, quote.transactions)


def plan_of(store: LocalStore, name: str, amount: str, *lines: tuple[str, int], shipping: str = "0") -> RefundPlan:
    """A plan with an amount of our own (what a stale or tampered request would send)."""
    choice = choose(store, name, *lines, shipping=shipping)
    money = Money(Decimal(amount), order(store, name).currency)
    return RefundPlan(order_id(store, name), choice.lines, choice.shipping, (RefundTransaction("manual", money),))


def refund_rows(db: Database, oid: str) -> list[TransactionRow]:
    with db.session() as s:
        stmt = select(TransactionRow).where(TransactionRow.order_id == int(oid), TransactionRow.kind == "refund")
        return list(s.scalars(stmt.order_by(TransactionRow.id)))


def ledger(db: Database, oid: str) -> tuple[Any, ...]:
    """Everything a refund writes, to show that a refused one wrote nothing."""
    with db.session() as s:
        row = s.get_one(OrderRow, int(oid))
        quantities = tuple(s.scalars(select(LineItemRow.refunded_quantity).where(LineItemRow.order_id == row.id)))
        count = s.scalar(select(func.count()).select_from(TransactionRow).where(TransactionRow.order_id == row.id))
        return (row.refunded, row.refunded_shipping, row.financial_status, row.updated_at, quantities, count)


# -- quotes ------------------------------------------------------------------------------------------


def test_quote_for_lines_and_shipping(store: LocalStore) -> None:
    quote = store.refund_quote(order_id(store, "#1001"), choose(store, "#1001", (SOCKS, 1), shipping="4.90"))

    assert quote.currency == EUR
    assert quote.amount == eur("34.80")  # 29.90 + 4.90
    assert quote.maximum == eur("387.70")
    assert quote.shipping_refundable == eur("4.90")
    assert quote.transactions == (RefundTransaction("Shopify Payments", eur("34.80"), parent_id=""),)
    socks = quote_line(quote, SOCKS)
    assert (socks.quantity, socks.refundable_quantity, socks.fulfilled_quantity) == (2, 2, 2)
    assert socks.unit_refund == eur("29.90")
    assert socks.line_item_id == line_id(store, "#1001", SOCKS)
    assert [li.name[:6] for li in quote.lines] == ["Kaamos", "Wool H", "Revont"]  # every line, in order


def test_a_full_choice_names_the_payments_an_amount_alone_goes_back_to(store: LocalStore) -> None:
    quote = store.refund_quote(order_id(store, "#1001"), RefundChoice(full=True))

    assert quote.amount == quote.maximum == eur("387.70")
    assert quote.transactions == (RefundTransaction("Shopify Payments", eur("387.70"), parent_id=""),)


def test_an_amount_alone_is_kept_in_the_ledger_and_uses_up_no_item(store: LocalStore, db: Database) -> None:
    oid = order_id(store, "#1001")
    plan = RefundPlan(oid, (), Decimal(0), (RefundTransaction("Shopify Payments", eur("5.00")),))

    refund = store.create_refund(plan, idempotency_key="goodwill-1")

    assert refund.amount == eur("5.00")
    [row] = refund_rows(db, oid)
    assert (row.amount, row.kind) == (Decimal("5.00"), "refund")
    refunded_total, refunded_shipping, status, _at, quantities, _count = ledger(db, oid)
    assert (refunded_total, refunded_shipping, status, quantities) == (
        Decimal("5.00"), Decimal(0), "partially_refunded", (0, 0, 0),
    )  # fmt: skip
    left = store.refund_quote(oid, RefundChoice())
    assert left.maximum == eur("382.70") and [li.refundable_quantity for li in left.lines] == [1, 2, 1]
    too_much = RefundPlan(oid, (), Decimal(0), (RefundTransaction("Shopify Payments", eur("382.71")),))
    with pytest.raises(RefundRefused, match=r"only 382\.70 EUR can still be refunded"):
        store.create_refund(too_much, idempotency_key="goodwill-2")


def test_an_empty_choice_gives_the_ceilings_alone(store: LocalStore) -> None:
    quote = store.refund_quote(order_id(store, "#1001"), RefundChoice())

    assert quote.amount == eur("0.00") and quote.transactions == ()
    assert quote.maximum == eur("387.70") and quote.shipping_refundable == eur("4.90")
    assert [li.refundable_quantity for li in quote.lines] == [1, 2, 1]


def test_asking_for_more_than_is_left_is_capped(store: LocalStore) -> None:
    quote = store.refund_quote(order_id(store, "#1001"), choose(store, "#1001", (SOCKS, 5), shipping="10"))
    assert quote.amount == eur("64.70")  # 2 × 29.90 + 4.90

    # #1005: 79.00 of 218.90 refunded by Shopify already, so everything is capped at the 139.90 left
    everything = choose(store, "#1005", ("Tunturi", 1), ("Fleece", 1), ("Wool Mittens", 1), shipping="5.90")
    quote = store.refund_quote(order_id(store, "#1005"), everything)
    assert quote.maximum == eur("139.90") and quote.amount == eur("139.90")
    assert quote.transactions == (RefundTransaction("Shopify Payments", eur("139.90")),)

    negative = choose(store, "#1001", (SOCKS, -3), shipping="-1")
    assert store.refund_quote(order_id(store, "#1001"), negative).amount == eur("0.00")


def test_line_discounts_come_off_the_refund(store: LocalStore, db: Database) -> None:
    # #1013: boots 219.00 with a 21.90 line discount
    quote = store.refund_quote(order_id(store, "#1013"), choose(store, "#1013", ("Lapland", 1)))
    assert quote.amount == eur("197.10") and quote_line(quote, "Lapland").unit_refund == eur("197.10")

    import_orders(
        db,
        [
            "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Shipping,Total,Created at,"
            "Lineitem quantity,Lineitem name,Lineitem price,Lineitem discount\n",
            "#7001,a@example.com,paid,2026-10-01 10:00:05 +0000,unfulfilled,EUR,0.00,29.00,"
            "2026-10-01 10:00:00 +0000,3,Pin,10.00,1.00\n",
        ],
        alongside_demo=True,
    )
    oid = order_id(store, "#7001")
    one, two = (store.refund_quote(oid, choose(store, "#7001", ("Pin", n))) for n in (1, 2))
    assert one.amount == eur("9.67") and two.amount == eur("19.33")  # 29.00 × 1/3 and × 2/3, rounded once
    assert quote_line(one, "Pin").unit_refund == eur("9.67")
    assert quote_line(one, "Pin").fulfilled_quantity == 0  # not shipped


def test_nothing_is_refundable_before_the_money_is_captured(store: LocalStore) -> None:
    for name, item in (("#1019", "Saaristo"), ("#1014", "Kaamos")):  # pending; voided (and cancelled)
        quote = store.refund_quote(order_id(store, name), choose(store, name, (item, 1), shipping="3.90"))
        assert quote.maximum.is_zero() and quote.amount.is_zero() and quote.transactions == ()


def test_a_cancelled_order_has_no_refundable_lines(store: LocalStore) -> None:
    oid = order_id(store, "#1007")  # cancelled and refunded in full by Shopify
    quote = store.refund_quote(oid, choose(store, "#1007", ("Sleeping", 1), shipping="8.90"))
    assert [li.refundable_quantity for li in quote.lines] == [0, 0]
    assert quote.maximum.is_zero() and quote.amount.is_zero()


def test_shipped_and_unshipped_lines(store: LocalStore) -> None:
    quote = store.refund_quote(order_id(store, "#1017"), RefundChoice())  # partially fulfilled
    assert quote_line(quote, "Tunturi").fulfilled_quantity == 2
    assert quote_line(quote, "Lapland").fulfilled_quantity == 0


def test_an_unknown_order_or_line(store: LocalStore) -> None:
    for missing in ("999999", "gid://shopify/Order/1", ""):
        with pytest.raises(StoreError, match="not found"):
            store.refund_quote(missing, RefundChoice())
    with pytest.raises(StoreError, match="not on order #1001"):
        store.refund_quote(order_id(store, "#1001"), RefundChoice((RefundLineChoice("424242", 1),)))
    with pytest.raises(RefundRefused, match="not found"):
        store.create_refund(
            RefundPlan("999999", (), Decimal(0), (RefundTransaction("x", eur("1")),)), idempotency_key="k"
        )


# -- refunding ---------------------------------------------------------------------------------------


def test_a_refund_is_recorded_and_the_order_shows_it(store: LocalStore, db: Database) -> None:
    oid = order_id(store, "#1001")

    refund = store.create_refund(quoted_plan(store, "#1001", (SOCKS, 1), shipping="4.90"), idempotency_key="k-1")

    (row,) = refund_rows(db, oid)
    assert refund == StoreRefund(id=f"local-refund-{row.id}", amount=eur("34.80"))
    assert (row.amount, row.currency, row.gateway, row.idempotency_key) == (
        Decimal("34.80"),
        EUR,
        "Shopify Payments",
        "k-1",
    )
    after = order(store, "#1001")
    assert after.refunded == eur("34.80")
    assert after.financial_status is FinancialStatus.PARTIALLY_REFUNDED
    assert after.transactions[-1].kind == "refund"
    assert (after.transactions[-1].amount, after.transactions[-1].created_at) == (eur("34.80"), T0)
    quote = store.refund_quote(oid, RefundChoice())
    assert quote_line(quote, SOCKS).refundable_quantity == 1
    assert quote.shipping_refundable.is_zero() and quote.maximum == eur("352.90")

    # the rest: every unit left, and the order is refunded in full
    rest = quoted_plan(store, "#1001", ("Kaamos", 1), (SOCKS, 1), ("Revontuli", 1))
    assert rest.amount == Decimal("352.90")
    store.create_refund(rest, idempotency_key="k-2")
    after = order(store, "#1001")
    assert after.refunded == eur("387.70") and after.financial_status is FinancialStatus.REFUNDED
    assert [t.kind for t in after.transactions] == ["sale", "refund", "refund"]
    final = store.refund_quote(oid, RefundChoice())
    assert final.maximum.is_zero() and all(li.refundable_quantity == 0 for li in final.lines)


def test_the_same_key_twice_refunds_once(store: LocalStore, db: Database) -> None:
    oid = order_id(store, "#1001")
    plan = quoted_plan(store, "#1001", (SOCKS, 1))

    first = store.create_refund(plan, idempotency_key="same")
    again = store.create_refund(plan, idempotency_key="same")

    assert first == again
    assert len(refund_rows(db, oid)) == 1
    assert order(store, "#1001").refunded == eur("29.90")
    assert quote_line(store.refund_quote(oid, RefundChoice()), SOCKS).refundable_quantity == 1
    # the key of another refund, with different parameters: refused, as Shopify refuses it
    with pytest.raises(RefundRefused, match="used before"):
        store.create_refund(plan_of(store, "#1001", "10.00"), idempotency_key="same")


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (lambda s: quoted_plan(s, "#1001", (SOCKS, 3)), f"only 2 × {SOCKS} can still be refunded"),
        (lambda s: plan_of(s, "#1001", "400.00", (SOCKS, 1)), "only 387.70 EUR can still be refunded"),
        (lambda s: plan_of(s, "#1001", "9.90", shipping="9.90"), "only 4.90 EUR of shipping can still be refunded"),
        (lambda s: plan_of(s, "#1019", "10.00"), "payment of order #1019 is pending, not captured"),
        (lambda s: plan_of(s, "#1004", "1.00"), "order #1004 has been refunded in full"),
        (lambda s: plan_of(s, "#1007", "1.00", ("Sleeping", 1)), "order #1007 is cancelled"),
        (lambda s: quoted_plan(s, "#1001"), "there is nothing to refund"),
        (lambda s: plan_of(s, "#1001", "1.005"), "more decimals than EUR has"),
        (
            lambda s: RefundPlan(order_id(s, "#1003"), (), Decimal(0), (RefundTransaction("x", eur("10.00")),)),
            "order #1003 was paid in DKK, not EUR",
        ),
    ],
)
def test_a_refund_the_order_cannot_give_is_refused_and_writes_nothing(
    store: LocalStore, db: Database, plan: Callable[[LocalStore], RefundPlan], message: str
) -> None:
    refused = plan(store)
    before = ledger(db, refused.order_id)

    with pytest.raises(RefundRefused, match=message):
        store.create_refund(refused, idempotency_key="refused")

    assert ledger(db, refused.order_id) == before


def test_a_refund_checks_the_order_as_it_is_now(store: LocalStore) -> None:
    # two plans quoted before either ran: the second asks for socks the first already took
    first, second = (quoted_plan(store, "#1001", (SOCKS, 2)) for _ in range(2))
    store.create_refund(first, idempotency_key="first")
    with pytest.raises(RefundRefused, match=f"{SOCKS} has been refunded already"):
        store.create_refund(second, idempotency_key="second")


def test_a_key_recorded_between_the_check_and_the_insert_returns_that_refund(
    store: LocalStore, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = quoted_plan(store, "#1001", (SOCKS, 1))
    first = store.create_refund(plan, idempotency_key="late")
    before = ledger(db, plan.order_id)
    # the check misses the row once, as when another instance commits it just after our check: the UNIQUE
    # key then refuses our insert, and the refund that won is the answer
    real = refunds_module._recorded
    looked_up: list[str] = []

    def missing_once(session: Session, key: str) -> TransactionRow | None:
        looked_up.append(key)
        return None if len(looked_up) == 1 else real(session, key)

    monkeypatch.setattr(refunds_module, "_recorded", missing_once)

    assert store.create_refund(plan, idempotency_key="late") == first
    assert looked_up == ["late", "late"]  # missed, then found after the insert failed
    assert ledger(db, plan.order_id) == before


# -- races -------------------------------------------------------------------------------------------


@pytest.fixture
def stores(db_url: str, store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[LocalStore]]:
    """Two stores with engines of their own: as two bot instances would refund. Each one, having checked the
    order, waits for the other to have checked it too before it writes: without the order lock both always
    check first, so the race a missing lock allows happens every time. With the lock the other cannot arrive
    until this one has committed: the wait runs out (its time-out is the expected outcome, not a head start)."""
    real = refunds_module._problems
    arrivals = threading.Condition()
    arrived = 0

    def problems_then_wait_for_the_other(order: OrderRow, plan: RefundPlan) -> list[str]:
        nonlocal arrived
        problems = real(order, plan)
        with arrivals:
            arrived += 1
            pair_complete = arrived + arrived % 2  # the refunds race in pairs
            arrivals.notify_all()
            arrivals.wait_for(lambda: arrived >= pair_complete, timeout=0.2)
        return problems

    monkeypatch.setattr(refunds_module, "_problems", problems_then_wait_for_the_other)
    databases = [Database(make_engine(db_url)) for _ in range(2)]
    yield [LocalStore(d, clock=lambda: T0) for d in databases]
    for database in databases:
        database.dispose()


def race(calls: list[Callable[[], StoreRefund]]) -> list[StoreRefund | BaseException]:
    """Run the calls in threads released together; each result is the refund or what was raised."""
    barrier = threading.Barrier(len(calls))
    results: list[StoreRefund | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # judged by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def test_two_instances_with_the_same_key_record_one_refund(stores: list[LocalStore], db: Database) -> None:
    for round_ in range(3):
        plan = quoted_plan(stores[0], "#1002", ("Insulated", 1)) if round_ == 0 else plan_of(stores[0], "#1002", "1.00")
        key = f"same-{round_}"
        results = race([lambda s=s, p=plan, k=key: s.create_refund(p, idempotency_key=k) for s in stores])

        assert all(isinstance(r, StoreRefund) for r in results), results
        assert results[0] == results[1]
        with db.session() as s:
            count = s.scalar(select(func.count()).where(TransactionRow.idempotency_key == key))
        assert count == 1
    assert order(stores[0], "#1002").refunded == eur("41.00")  # 39.00 + 1.00 + 1.00: each key once


def test_two_refunds_together_never_exceed_what_was_paid(stores: list[LocalStore], db: Database) -> None:
    oid = order_id(stores[0], "#1001")
    plan = plan_of(stores[0], "#1001", "300.00")  # twice is more than the 387.70 paid

    results = race([lambda s=s, i=i: s.create_refund(plan, idempotency_key=f"k-{i}") for i, s in enumerate(stores)])

    refunded = [r for r in results if isinstance(r, StoreRefund)]
    refused = [r for r in results if isinstance(r, RefundRefused)]
    assert len(refunded) == 1 and len(refused) == 1, results
    assert "only 87.70 EUR can still be refunded" in str(refused[0])
    assert order(stores[0], "#1001").refunded == eur("300.00")
    assert len(refund_rows(db, oid)) == 1


# -- migration ---------------------------------------------------------------------------------------


def test_upgrading_from_0003_gives_existing_rows_their_defaults(db_url: str) -> None:
    engine = make_engine(db_url)
    database = Database(engine)
    try:
        seed_demo_orders(database)
        draft = RefundDraft(
            store="local", order_id="1", order_name="#1001", lines=(), shipping=Decimal("4.90"), restock="NO_RESTOCK",
            amount=Decimal("4.90"), currency=EUR, reason="late",
        )  # fmt: skip
        request = refunds.create(database, draft, requested_by="U1", at=T0, slack_channel="C1")
        command.downgrade(alembic_config(engine), "0003")
        with engine.begin() as conn:
            conn.execute(text("UPDATE refund_requests SET slack_approval_ts = '1.2'"))  # posted in C1, then
            conn.execute(
                text(
                    "INSERT INTO audit_events (at, actor, action, subject, details) VALUES "
                    "(:at, 'U1', 'refund.requested', 'refund_request:1', :refund), "
                    "(:at, 'U1', 'order.viewed', 'order:#1002', '{}')"
                ),
                {"at": T0.replace(tzinfo=None), "refund": '{"order": "#1001", "amount": "5.00"}'},
            )

        upgrade(engine)

        local = LocalStore(database)
        with database.session() as s:
            assert set(s.scalars(select(LineItemRow.refunded_quantity))) == {0}
            assert set(s.scalars(select(OrderRow.refunded_shipping))) == {Decimal(0)}
            names = list(s.scalars(select(AuditEventRow.order_name).order_by(AuditEventRow.id)))
            assert names == ["#1001", "#1001", "#1002"]  # the request's event and the two above, all refilled
            row = s.get_one(RefundRequestRow, request.id)
            assert (row.transactions, row.submission_key, row.slack_approval_channel) == ([], None, "C1")
        # the customer-name index of 0001 survived: `orders` was altered in place, not copied
        assert [o.ref.name for o in local.find_orders(OrderQuery(SearchKind.NAME, "oie tamm"), 5)] == ["#1002"]
        assert local.refund_quote(order_id(local, "#1001"), RefundChoice()).maximum == eur("387.70")
    finally:
        engine.dispose()
