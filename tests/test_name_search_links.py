"""The name links of migration 0011 on both databases: made for the orders already stored when it runs, kept up by
the triggers for orders the bot writes or changes, and gone again on the way down (the old indexes back)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from importlib import import_module

from alembic import command
from sqlalchemy import select, text, update

from commands.lookup import look_up
from commands.services import Services
from integrations.local_store.importer import import_orders
from integrations.local_store.importer.bulk_writes import MAX_NAMES_PER_EMAIL as IMPORTER_MAX_NAMES_PER_EMAIL
from integrations.local_store.store import LocalStore
from storage.db import Database, make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import OrderRow
from tests.test_lookup_search import ORDERS, _csv, _names, _order, _person

MAX_NAMES_PER_EMAIL = import_module("storage.migrations.versions.0011_name_search").MAX_NAMES_PER_EMAIL


def _services(db: Database) -> Services:
    return Services(db=db, store=LocalStore(db))


def _old_index_finds(db: Database, prefix: str) -> list[str]:
    """Order names through the per-order name index of 0007 (what 0011 replaces)."""
    with db.session() as session:
        if db.dialect == "sqlite":
            stmt = text(
                "SELECT o.name FROM order_name_fts JOIN orders o ON o.id = order_name_fts.rowid "
                "WHERE order_name_fts MATCH :q ORDER BY o.name"
            )
            return list(session.scalars(stmt, {"q": f'search_name : "{prefix}"*'}))
        stmt = text(
            "SELECT o.name FROM order_names n JOIN orders o ON o.id = n.order_id "
            "WHERE returnbot_name_prefixes(n.search_name || ' ' || n.ship_search_name) @@ to_tsquery('simple', :q) "
            "ORDER BY o.name"
        )
        return list(session.scalars(stmt, {"q": prefix}))


def test_the_migration_links_the_orders_already_stored_and_goes_down_again(db_url: str) -> None:
    engine = make_engine(db_url)
    db = Database(engine)
    try:
        command.downgrade(alembic_config(engine), "0010")
        import_orders(db, io.StringIO(_csv(ORDERS)))  # stored before 0011, by 0010's triggers
        upgrade(engine)

        services = _services(db)
        assert _names(look_up(services, "anna virt")) == ["#2003", "#2002", "#2001"]  # the e-mail's orders too
        assert _names(look_up(services, "liisa lai")) == ["#2004"]  # a gift's recipient
        assert _names(look_up(services, "mikko laine")) == []  # two names' words
        assert _names(look_up(services, "+358 40 765 4321")) == ["#2006", "#2005"]  # phones as before

        command.downgrade(alembic_config(engine), "0010")
        assert _old_index_finds(db, "virt") == ["#2001"]
        assert _old_index_finds(db, "niemin") == ["#2005", "#2006"]
        upgrade(engine)
        assert _names(look_up(_services(db), "anna virt")) == ["#2003", "#2002", "#2001"]
    finally:
        engine.dispose()


def _bot_order(name: str, email: str, customer: str, day: int) -> OrderRow:
    """An order written the way the bot writes one (a replacement): through the ORM, the triggers must follow."""
    at = datetime(2026, 10, day, 12, tzinfo=UTC)
    return OrderRow(
        name=name, number=int(name[1:]), email=email, email_lower=email.lower(), customer_name=customer,
        search_name=customer.lower(), currency="EUR", subtotal=Decimal(0), shipping=Decimal(0), taxes=Decimal(0),
        discount=Decimal(0), total=Decimal(0), refunded=Decimal(0), outstanding=Decimal(0), financial_status="paid",
        fulfillment_status="", created_at=at, updated_at=at,
    )  # fmt: skip


def test_orders_the_bot_writes_and_changes_are_linked_by_the_triggers(db: Database) -> None:
    import_orders(db, io.StringIO(_csv(ORDERS)))
    services = _services(db)
    with db.session(write=True) as session:
        session.add(_bot_order("#2101", "anna.virtanen@example.com", "", 2))  # Anna's again, without a name
        session.add(_bot_order("#2102", "", "Ulla Kivi", 3))  # no e-mail: its own name only
    assert _names(look_up(services, "anna virt")) == ["#2101", "#2003", "#2002", "#2001"]
    assert _names(look_up(services, "ulla")) == ["#2102"]

    with db.session(write=True) as session:  # Anna's first order changes hands: her e-mail's orders lose the name
        session.execute(
            update(OrderRow)
            .where(OrderRow.name == "#2001")
            .values(email="ulla@example.com", email_lower="ulla@example.com", search_name="ulla kivi")
        )
    assert _names(look_up(services, "anna virt")) == []
    assert _names(look_up(services, "ulla kivi")) == ["#2102", "#2001"]

    with db.session(write=True) as session:
        session.delete(session.scalars(select(OrderRow).where(OrderRow.name == "#2102")).one())
    assert _names(look_up(services, "ulla kivi")) == ["#2001"]


def test_a_rewritten_order_that_changes_e_mail_leaves_its_old_customer(db: Database) -> None:
    rows = [
        *_order(2201, 1, **_person("Pekka Salo", "pekka@example.com")),
        *_order(2202, 2, **_person("", "pekka@example.com")),
    ]
    import_orders(db, io.StringIO(_csv(rows)))
    services = _services(db)
    assert _names(look_up(services, "pekka salo")) == ["#2202", "#2201"]

    moved = _order(2201, 1, **_person("Pekka Salo", "p.salo@example.com"))
    import_orders(db, io.StringIO(_csv(moved)))
    assert _names(look_up(services, "pekka salo")) == ["#2201"]  # #2202 kept the old e-mail, and no name


# Invented customers of one marketplace's mailbox: one more name than a customer's e-mail may carry.
_SHARED = "orders@marketplace.example"
_MARKETPLACE_NAMES = [
    "Helmi Aalto", "Oskari Blom", "Venla Castren", "Eino Dahl", "Siiri Eklund", "Toivo Forsman", "Lilja Grahn",
    "Onni Hagman", "Kerttu Ilves", "Vilho Jalas", "Saima Kurki",
]  # fmt: skip


def _marketplace(count: int, first: int = 2301) -> list[dict[str, str]]:
    """`count` orders of the shared mailbox, each with a name of its own."""
    return [
        row
        for i, name in enumerate(_MARKETPLACE_NAMES[:count])
        for row in _order(first + i, i + 1, **_person(name, _SHARED))
    ]


def _links_of(db: Database, email: str) -> set[tuple[str, str]]:
    """(order, name) of every name link of the orders of `email`."""
    with db.session() as session:
        stmt = text(
            "SELECT o.name, l.name FROM order_names_orders l JOIN orders o ON o.id = l.order_id "
            "WHERE o.email_lower = :email"
        )
        return {(order, name) for order, name in session.execute(stmt, {"email": email})}


def _own_names(db: Database, email: str) -> set[tuple[str, str]]:
    with db.session() as session:
        stmt = select(OrderRow.name, OrderRow.search_name).where(OrderRow.email_lower == email)
        return {(order, name) for order, name in session.execute(stmt)}


def test_a_shared_mailbox_links_each_order_to_its_own_name_only(db: Database) -> None:
    assert MAX_NAMES_PER_EMAIL == IMPORTER_MAX_NAMES_PER_EMAIL == len(_MARKETPLACE_NAMES) - 1
    import_orders(db, io.StringIO(_csv(_marketplace(11))))
    services = _services(db)
    assert _names(look_up(services, "helmi aalto")) == ["#2301"]
    assert _names(look_up(services, "saima kurki")) == ["#2311"]
    assert _links_of(db, _SHARED) == _own_names(db, _SHARED)  # one row per order: billing and shipping agree


def test_crossing_the_cap_with_an_order_the_bot_writes_relinks_the_mailbox(db: Database) -> None:
    import_orders(db, io.StringIO(_csv(_marketplace(10))))
    services = _services(db)
    assert len(_names(look_up(services, "helmi aalto"))) == 10  # at the cap: still one customer

    with db.session(write=True) as session:
        session.add(_bot_order("#2399", _SHARED, "Saima Kurki", 20))
    assert _names(look_up(services, "helmi aalto")) == ["#2301"]
    assert _names(look_up(services, "saima kurki")) == ["#2399"]
    assert _links_of(db, _SHARED) == _own_names(db, _SHARED)

    with db.session(write=True) as session:  # back at the cap: the e-mail is one customer again
        session.delete(session.scalars(select(OrderRow).where(OrderRow.name == "#2399")).one())
    assert len(_names(look_up(services, "helmi aalto"))) == 10
    assert len(_links_of(db, _SHARED)) == 10 * 10


def test_crossing_the_cap_with_an_import_relinks_the_mailbox(db: Database) -> None:
    import_orders(db, io.StringIO(_csv(_marketplace(10))))
    services = _services(db)
    assert len(_names(look_up(services, "venla castren"))) == 10

    one_more = _order(2311, 11, **_person("Saima Kurki", _SHARED))
    import_orders(db, io.StringIO(_csv(one_more)))
    assert _names(look_up(services, "venla castren")) == ["#2303"]
    assert _names(look_up(services, "saima kurki")) == ["#2311"]
    assert _links_of(db, _SHARED) == _own_names(db, _SHARED)
