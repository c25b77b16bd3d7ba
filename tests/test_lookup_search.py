"""How agents really search, on both stores and both databases: the customer is the e-mail, gift recipients by
the shipping name, phone numbers however written, and a name that matches thousands of orders.

The orders come from export rows shaped like Shopify's (invented people), imported through the real importer;
the Shopify stand-in serves the same orders, read back through the local store.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from commands.errors import UserError
from commands.lookup import COUNT_CAP, LookupResult, look_up, parse_query
from commands.services import Services
from domain.orders import Order, SearchKind
from integrations.local_store.importer import import_orders
from integrations.local_store.store import LocalStore
from integrations.shopify.client import ShopifyClient
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import OrderRow
from tests.shopify_env import FAST, TODAY
from tests.slack_harness import block_texts, start_harness

COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Currency", "Subtotal", "Total",
    "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku", "Billing Name",
    "Billing Address1", "Billing City", "Billing Zip", "Billing Country", "Billing Phone", "Shipping Name",
    "Shipping Address1", "Shipping City", "Shipping Zip", "Shipping Country", "Shipping Phone", "Notes", "Phone",
    "Id",
]  # fmt: skip


def _order(number: int, day: int, **cells: str) -> list[dict[str, str]]:
    """One order's export rows: its first row with the order columns, a continuation row (Shopify repeats only
    the name, e-mail and time there)."""
    created = f"2026-{9 + day // 28:02d}-{day % 28 + 1:02d} 10:{number % 60:02d}:00 +0300"
    name = f"#{number}"
    first = {
        "Name": name, "Financial Status": "paid", "Paid at": created, "Fulfillment Status": "unfulfilled",
        "Currency": "EUR", "Subtotal": "49.80", "Total": "49.80", "Created at": created, "Lineitem quantity": "1",
        "Lineitem name": "Revontuli Beanie - One size / Snow", "Lineitem price": "34.00", "Lineitem sku": "PO-RBN-SNOW",
        "Billing Address1": "Hämeenkatu 3", "Billing City": "Tampere", "Billing Zip": "33100", "Billing Country": "FI",
        "Shipping Address1": "Hämeenkatu 3", "Shipping City": "Tampere", "Shipping Zip": "33100",
        "Shipping Country": "FI", "Id": str(7_302_116_000_000 + number), **cells,
    }  # fmt: skip
    second = {
        "Name": name, "Email": first.get("Email", ""), "Created at": created, "Lineitem quantity": "1",
        "Lineitem name": "Wool Hiking Socks 3-pack - 40-42", "Lineitem price": "15.80", "Lineitem sku": "PO-WHS-4042",
    }  # fmt: skip
    return [first, second]


def _person(name: str, email: str = "", **cells: str) -> dict[str, str]:
    return {"Email": email, "Billing Name": name, "Shipping Name": name, **cells}


# Invented people. The customer is the e-mail: Anna's second and third orders carry no name at all.
ORDERS = [
    *_order(2001, 1, **_person("Anna Virtanen", "anna.virtanen@example.com")),
    *_order(2002, 5, **_person("", "anna.virtanen@example.com")),
    *_order(2003, 9, Email="Anna.Virtanen@example.com"),  # no address at all: a gift card
    # a gift: Mikko pays, Liisa receives (and calls)
    *_order(2004, 12, **{**_person("Mikko Korhonen", "mikko.korhonen@example.com"), "Shipping Name": "Liisa Laine"}),
    *_order(2008, 22, **_person("Aino Laitinen", "aino.laitinen@example.com")),
    # cash on delivery: no e-mail, a number in the spreadsheet's text form
    *_order(2005, 15, **_person("Kari Nieminen", Phone="'+358 40 765 4321")),
    # another customer, the same number as the shipping phone (a shared family phone)
    *_order(2006, 18, **_person("Sari Nieminen", "sari.n@example.com", **{"Shipping Phone": "040-765 43 21"})),
    # a Swedish customer's national number, read in the country of the address
    *_order(2007, 20, **_person("Åsa Berg", "asa.berg@example.com", **{"Billing Country": "SE",
                                                                        "Billing Phone": "070-123 45 67"})),
]  # fmt: skip


def _csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _import(db: Database, rows: list[dict[str, str]]) -> None:
    summary = import_orders(db, io.StringIO(_csv(rows)))
    assert summary.orders_created == len({r["Name"] for r in rows})


def _orders_of(rows: list[dict[str, str]]) -> list[Order]:
    """The same orders as the bot's Order values, for the Shopify stand-in."""
    with tempfile.TemporaryDirectory(prefix="returnbot-lookup-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'orders.db'}")
        try:
            upgrade(engine)
            db = Database(engine)
            _import(db, rows)
            with db.session() as session:
                ids = list(session.scalars(select(OrderRow.id).order_by(OrderRow.id)))
            store = LocalStore(db)
            orders = [store.get_order(str(i)) for i in ids]
        finally:
            engine.dispose()
    assert all(o is not None for o in orders)
    return orders  # type: ignore[return-value]


@contextmanager
def _shopify(orders: list[Order]) -> Iterator[ShopifyStore]:
    with FakeShopify(orders, now=lambda: TODAY) as fake:
        client = ShopifyClient(fake.admin_url, fake.access_token, policy=FAST)
        try:
            yield ShopifyStore(client, fake.shop_domain)
        finally:
            client.close()
            fake.assert_no_rejections()


@pytest.fixture(params=["local", "shopify"])
def on_store(request: pytest.FixtureRequest, db: Database) -> Iterator[Callable[[list[dict[str, str]]], Services]]:
    """Services over the given export rows: in the local store of `db`, or served by the Shopify stand-in."""
    stack: list[object] = []

    def make(rows: list[dict[str, str]]) -> Services:
        if request.param == "local":
            _import(db, rows)
            return Services(db=db, store=LocalStore(db))
        context = _shopify(_orders_of(rows))
        store = context.__enter__()
        stack.append(context)
        return Services(db=db, store=store)

    yield make
    for context in reversed(stack):
        context.__exit__(None, None, None)  # type: ignore[attr-defined]


def _names(result: LookupResult) -> list[str]:
    return [result.order.name] if result.order is not None else [m.ref.name for m in result.matches]


def test_a_name_finds_every_order_of_its_e_mail(on_store: Callable[..., Services]) -> None:
    services = on_store(ORDERS)
    result = look_up(services, "anna virt")
    assert _names(result) == ["#2003", "#2002", "#2001"]  # newest first; two of them carry no name
    assert all(m.ship_to == "" for m in result.matches)


def test_a_gift_is_found_by_its_recipient_and_says_so(on_store: Callable[..., Services]) -> None:
    services = on_store(ORDERS)
    result = look_up(services, "Liisa Lai")
    assert result.order is not None and result.order.name == "#2004"
    # in a pick list the recipient is named: with the payer's name too
    both = look_up(services, "lai")
    gift = next(m for m in both.matches if m.ref.name == "#2004")
    assert gift.customer_name == "Mikko Korhonen" and gift.ship_to == "Liisa Laine"


def test_words_of_two_different_names_are_no_match_locally(db: Database) -> None:
    _import(db, ORDERS)
    services = Services(db=db, store=LocalStore(db))
    assert _names(look_up(services, "mikko laine")) == []
    assert _names(look_up(services, "mikko korh")) == ["#2004"]


@pytest.mark.parametrize(
    "typed", ["+358 40 765 4321", "040 765 4321", "358407654321", "00358 40 765 4321", "(040) 765-4321", "0407654321"]
)
def test_a_phone_number_however_written_finds_every_order_with_it(on_store: Callable[..., Services], typed: str) -> None:  # noqa: E501
    services = on_store(ORDERS)
    result = look_up(services, typed)
    assert result.query.kind is SearchKind.PHONE and result.query.value == "+358407654321"
    assert _names(result) == ["#2006", "#2005"]  # a shared number: a pick list


def test_a_number_is_read_in_the_country_of_its_address(on_store: Callable[..., Services]) -> None:
    services = on_store(ORDERS)
    assert _names(look_up(services, "+46 70 123 45 67")) == ["#2007"]
    # typed without the country code, the number is read in the shop's country: another number
    assert _names(look_up(services, "070 123 45 67")) == []
    services.shop_country = "SE"
    assert _names(look_up(services, "070 123 45 67")) == ["#2007"]


def test_an_order_without_e_mail_is_found_by_its_phone_and_shows_it(on_store: Callable[..., Services]) -> None:
    services = on_store(ORDERS)
    result = look_up(services, "+358 40 765 4321")
    cod = next(m for m in result.matches if m.ref.name == "#2005")
    assert cod.email == "" and cod.customer_name == "Kari Nieminen"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("+358 40 12a 4567", "has letters in it"),
        ("+358 40", "has 5 digits: a phone number has at least 6"),
        ("040 12", "has 5 digits: a phone number has at least 6"),
        ("(09) 12", "has 4 digits"),
        ("+1234 5678 9012 3456 7890", "at most 15"),
    ],
)
def test_a_phone_number_that_cannot_be_one_is_said_so(db: Database, typed: str, says: str) -> None:
    with pytest.raises(UserError, match=says):
        look_up(Services(db=db, store=LocalStore(db)), typed)


def test_the_slack_pick_list_names_the_recipient_and_the_count(db: Database) -> None:
    many = [row for n in range(12) for row in _order(3000 + n, n, **_person(f"Laura Ozola {n}", f"l{n}@example.com"))]
    _import(db, ORDERS + many)
    harness = start_harness(Services(db=db, store=LocalStore(db)))
    try:
        harness.command("/order", "lai")
        [gifts] = harness.responses()
        assert "Mikko Korhonen · ship-to: Liisa Laine" in block_texts(gifts)
        harness.command("/order", "laura ozola")
        counted = harness.responses()[-1]
        assert "12 orders match customer name “laura ozola”; the 10 newest" in block_texts(counted)
    finally:
        harness.close()


# -- a name that matches thousands ------------------------------------------------------------------------------

THOUSANDS = 5_000


def _namesakes(count: int) -> list[dict[str, str]]:
    """`count` one-row orders of as many customers with one name (a common name on a big shop)."""
    rows = []
    for n in range(count):
        (first, _continuation) = _order(10_000 + n, n % 56, **_person("Laura Ozola", f"laura{n}@example.com"))
        rows.append(first)
    return rows


def test_a_name_matching_five_thousand_orders_lists_the_ten_newest_and_counts_them(db: Database) -> None:
    _import(db, _namesakes(THOUSANDS))
    result = look_up(Services(db=db, store=LocalStore(db)), "laura ozola")
    assert result.more and result.total == THOUSANDS
    assert len(result.matches) == 10
    newest = sorted(result.matches, key=lambda m: (m.created_at, int(m.ref.id)), reverse=True)
    assert result.matches == newest
    # every one of them from the last day those orders were placed on
    assert {m.created_at.date() for m in result.matches} == {max(m.created_at for m in result.matches).date()}


def test_a_name_matching_five_thousand_orders_on_shopify_lists_the_ten_newest_and_counts_them(tmp_path: Path) -> None:
    # once, on SQLite: the bot's database plays no part in a Shopify search, and 5,000 orders in the stand-in
    # are the test's whole cost
    db = Database(make_engine(f"sqlite:///{tmp_path / 'returnbot.db'}"))
    upgrade(db.engine)
    with _shopify(_orders_of(_namesakes(THOUSANDS))) as store:
        result = look_up(Services(db=db, store=store), "laura ozola")
    db.dispose()
    assert result.more and result.total == THOUSANDS  # counted in the same request (ordersCount)
    assert len(result.matches) == 10
    assert result.matches == sorted(result.matches, key=lambda m: m.created_at, reverse=True)


def test_counting_stops_at_the_cap(db: Database) -> None:
    _import(db, _namesakes(30))
    store = LocalStore(db)
    result = look_up(Services(db=db, store=store), "laur")
    assert result.total == 30
    assert store.count_orders(result.query, 25) == 25
    assert COUNT_CAP >= THOUSANDS


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("+358 40 123 4567", SearchKind.PHONE, "+358401234567"),
        ("'+358401234567", SearchKind.PHONE, "+358401234567"),  # pasted from a spreadsheet
        ("+358 (0)40 123 4567", SearchKind.PHONE, "+358401234567"),
        ("0046 70-123 45 67", SearchKind.PHONE, "+46701234567"),
        ("1001", SearchKind.NUMBER, "1001"),  # an order number, not a phone
        ("# 0401234", SearchKind.NUMBER, "401234"),
        ("05808812345601", SearchKind.TRACKING, "05808812345601"),  # DPD: 14 digits no numbering plan has
        ("0580 8812 3456 01", SearchKind.TRACKING, "05808812345601"),
        ("00370712345678901234", SearchKind.TRACKING, "00370712345678901234"),  # PostNord: too long for a phone
    ],
)
def test_phone_numbers_are_told_from_order_and_tracking_numbers(typed: str, kind: SearchKind, value: str) -> None:
    query = parse_query(typed)
    assert (query.kind, query.value) == (kind, value)


def test_shop_country_is_a_country_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.main.config import ConfigError, load_settings

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("SHOP_COUNTRY", "se")
    assert load_settings().SHOP_COUNTRY == "SE"
    monkeypatch.setenv("SHOP_COUNTRY", "Finland")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.problems == ["SHOP_COUNTRY: 'Finland' is not a country code: use two letters, like FI or SE"]


def test_the_shell_finds_the_demo_order_by_its_phone_number(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.test_cli import CLEAN

    proc = subprocess.run(
        [sys.executable, "-m", "bot.main.cli", "shell"], input="/order +358 40 123 4567\n/order 040 12\n",
        cwd=tmp_path, env=CLEAN, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "ORDER #1016" in proc.stdout and "Päivi Heikkilä" in proc.stdout
    assert "has 5 digits: a phone number has at least 6" in proc.stdout
