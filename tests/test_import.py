"""Importing Shopify orders exports into the local store (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from integrations.local_store.importer import ImportFailed, ImportSummary, import_orders, importing, writer
from integrations.local_store.seed import DEMO_ORDERS, seed_demo_orders
from storage.db import Database
from storage.models import AddressRow, FulfillmentRow, LineItemRow, OrderRow, TransactionRow

REAL_EXPORT = Path(__file__).resolve().parent / "fixtures" / "shopify" / "orders_export.csv"

COLUMNS = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Currency",
    "Subtotal",
    "Total",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Billing Name",
    "Shipping Name",
    "Shipping City",
    "Notes",
    "Tracking Number",
]


def order_rows(name: str, *items: tuple[str, str, str], **order: str) -> list[dict[str, str]]:
    """The export rows of one order: the first carries the order columns, the rest only their line item."""
    first = {
        "Name": name,
        "Email": "anna@example.com",
        "Financial Status": "paid",
        "Paid at": "2026-09-01 10:00:05 +0300",
        "Fulfillment Status": "unfulfilled",
        "Currency": "EUR",
        "Total": "10.00",
        "Created at": "2026-09-01 10:00:00 +0300",
        "Billing Name": "Anna Virtanen",
        **order,
    }
    rows = []
    for i, (quantity, item, price) in enumerate(items or [("1", "Beanie", "10.00")]):
        row = dict(first) if i == 0 else {"Name": name}
        row.update({"Lineitem quantity": quantity, "Lineitem name": item, "Lineitem price": price})
        rows.append(row)
    return rows


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    columns: list[str] = COLUMNS,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (OrderRow, AddressRow, LineItemRow, FulfillmentRow, TransactionRow)
        }


def load(db: Database, name: str) -> OrderRow:
    with db.session() as session:
        order = session.scalar(
            select(OrderRow)
            .where(OrderRow.name == name)
            .options(
                selectinload(OrderRow.addresses),
                selectinload(OrderRow.line_items),
                selectinload(OrderRow.fulfillments),
                selectinload(OrderRow.transactions),
            )
        )
    assert order is not None, f"order {name} not stored"
    return order


def address(order: OrderRow, kind: str) -> AddressRow | None:
    return next((a for a in order.addresses if a.kind == kind), None)


# --- real and demo data ---------------------------------------------------------------------------


def test_real_shopify_export(db: Database) -> None:
    progress: list[tuple[int, int | None]] = []

    summary = import_orders(db, REAL_EXPORT, progress=lambda rows, total: progress.append((rows, total)))

    assert (summary.orders_created, summary.orders_updated, summary.orders_unchanged) == (19, 0, 0)
    assert summary.line_items == 40
    assert summary.skipped_rows == []
    assert counts(db)["orders"] == 19
    assert progress[-1] == (40, REAL_EXPORT.stat().st_size)

    first = load(db, "#1001")  # four rows: the first one and three continuation rows
    assert first.number == 1001
    assert first.source_id == "6634244374859"
    assert first.email == "" and first.customer_name == ""
    assert first.total == Decimal("1659.95")
    assert first.created_at == datetime(2025, 5, 11, 13, 55, 16, tzinfo=UTC)
    assert [(li.position, li.name, li.price) for li in first.line_items] == [
        (1, "Gift Card - $10", Decimal("10.00")),
        (2, "Selling Plans Ski Wax - Selling Plans Ski Wax", Decimal("24.95")),
        (3, "The Collection Snowboard: Hydrogen", Decimal("600.00")),
        (4, "The Collection Snowboard: Oxygen", Decimal("1025.00")),
    ]
    assert [li.vendor for li in first.line_items][2:] == ["Hydrogen Vendor", "Hydrogen Vendor"]
    assert [(t.kind, t.amount, t.gateway) for t in first.transactions] == [("sale", Decimal("1659.95"), "manual")]

    gift_card = load(db, "#1004")  # a gift card and wax: billed, but no shipping address in the export
    assert gift_card.email == "ayumu.hirano@example.com"
    assert gift_card.customer_name == "Ayumu Hirano" and gift_card.search_name == "ayumu hirano"
    assert gift_card.phone == "+16135550127"
    assert address(gift_card, "shipping") is None
    billing = address(gift_card, "billing")
    assert billing is not None and billing.name == "Ayumu Hirano"
    card = gift_card.line_items[0]
    assert (card.name, card.requires_shipping, card.taxable) == ("Gift Card - $10", False, False)

    pending = load(db, "#1013")
    assert pending.financial_status == "pending" and pending.fulfillment_status == "partial"
    assert pending.paid_at is None
    assert pending.outstanding == Decimal("127.59")
    assert pending.transactions == []  # nothing was paid yet
    shipping = address(pending, "shipping")
    assert shipping is not None
    assert (shipping.city, shipping.zip, shipping.province, shipping.country) == ("Ottawa", "K2P 2L8", "ON", "CA")
    assert [li.fulfillment_status for li in pending.line_items] == ["pending", "fulfilled"]

    upper_case = load(db, "#1008")
    assert upper_case.email == "Russel.winfield@example.com"
    assert upper_case.email_lower == "russel.winfield@example.com"


def test_demo_orders(db: Database) -> None:
    summary = import_orders(db, DEMO_ORDERS)

    assert summary.orders_created == 24
    with db.session() as session:
        names = session.scalars(select(OrderRow.name).order_by(OrderRow.number)).all()
        customers = set(session.scalars(select(OrderRow.customer_name)).all())
        currencies = set(session.scalars(select(OrderRow.currency)).all())
    assert names == [f"#{n}" for n in range(1001, 1025)]
    assert {"Jānis Bērziņš", "Õie Tamm", "Søren Ærø Jørgensen", "Åsa Lindström", "Rūta Žukauskienė"} <= customers
    assert currencies == {"EUR", "SEK", "DKK"}

    first = load(db, "#1001")
    assert (first.customer_name, first.search_name, first.locale) == ("Jānis Bērziņš", "janis berzins", "lv")
    assert first.email == "janis.berzins@example.com"
    assert first.fulfillment_status == "fulfilled" and first.currency == "EUR"
    assert len(first.line_items) == 3 and sum(li.quantity for li in first.line_items) == 4
    shipping = address(first, "shipping")
    assert shipping is not None and (shipping.city, shipping.country) == ("Rīga", "LV")
    assert [f.tracking_number for f in first.fulfillments] == ["05808812345601"]
    assert {li.fulfillment_id for li in first.line_items} == {first.fulfillments[0].id}

    two_parcels = load(db, "#1008")
    parcels = {f.id: f.tracking_number for f in two_parcels.fulfillments}
    assert [parcels[li.fulfillment_id] for li in two_parcels.line_items if li.fulfillment_id] == [
        "00370712345600012353",
        "00370712345600012360",
        "00370712345600012360",
    ]

    partial = load(db, "#1017")
    assert partial.fulfillment_status == "partial"
    assert [li.fulfillment_id is not None for li in partial.line_items] == [True, True, False]

    # tracking numbers are stored the way lookups compare them: upper case, no spaces
    assert load(db, "#1015").fulfillments[0].tracking_number == "00373500489500011327"
    assert load(db, "#1016").fulfillments[0].tracking_number == "JJFI64832100000104616"

    assert load(db, "#1012").email == ""
    assert load(db, "#1003").note == "Please leave the parcel with the neighbour at no. 110.\nDoor code 4512"
    cancelled = load(db, "#1007")
    assert cancelled.cancelled_at is not None and cancelled.refunded == cancelled.total
    partly_refunded = load(db, "#1011")
    assert [(t.kind, t.amount) for t in partly_refunded.transactions] == [
        ("sale", Decimal("3387.00")),
        ("refund", Decimal("999.00")),
    ]


# --- file format ----------------------------------------------------------------------------------


def test_bom_crlf_and_newline_inside_a_quoted_field(db: Database, tmp_path: Path) -> None:
    note = "Ring twice\r\nC:\\gate\tcode 12"
    rows = order_rows("#2001", ("2", "Wool Socks", "12.50"), ("1", "Mittens", "20.00"), Notes=note)
    rows += order_rows("#2002", **{"Billing Name": "", "Shipping Name": "Õie Tamm"})
    path = write_csv(tmp_path / "orders.csv", rows, encoding="utf-8-sig", newline="\r\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfName,")

    summary = import_orders(db, path)

    assert summary.orders_created == 2 and summary.line_items == 3
    first = load(db, "#2001")
    assert first.note == "Ring twice\nC:\\gate\tcode 12"  # COPY (PostgreSQL) escapes these itself
    assert [(li.quantity, li.name) for li in first.line_items] == [(2, "Wool Socks"), (1, "Mittens")]
    assert load(db, "#2002").customer_name == "Õie Tamm"  # falls back to the shipping name


def test_streams_empty_lines_and_unknown_columns(db: Database, tmp_path: Path) -> None:
    columns = [*COLUMNS, "Something New"]
    rows = order_rows("#2001", **{"Something New": "ignored"})
    text = write_csv(tmp_path / "orders.csv", rows, columns=columns).read_text(encoding="utf-8")
    text = text.replace("\n#2001", "\n\n#2001") + "\n"

    summary = import_orders(db, io.BytesIO(("\ufeff" + text).encode()))

    assert summary.orders_created == 1
    assert summary.skipped_rows == [(2, "empty line"), (4, "empty line")]
    assert "skipped" in summary.describe()
    again = import_orders(db, io.StringIO(text))
    assert again.orders_unchanged == 1


def test_progress_is_reported_while_reading(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 2)
    rows = order_rows("#2001", ("1", "Cap", "5.00"), ("1", "Socks", "5.00")) + order_rows("#2002") + order_rows("#2003")
    path = write_csv(tmp_path / "orders.csv", rows + order_rows("#2004"))
    calls: list[tuple[int, int | None]] = []

    def progress(done: int, read: int | None) -> None:
        calls.append((done, read))

    import_orders(db, path, progress=progress)
    size = path.stat().st_size
    assert [rows for rows, _ in calls] == [2, 4, 5]
    assert calls[-1] == (5, size)  # at the end, the whole file has been read
    calls.clear()
    import_orders(db, io.StringIO(path.read_text(encoding="utf-8")), progress=progress)  # a stream: size unknown
    assert calls == [(2, None), (4, None), (5, None)]


def test_progress_counts_the_bytes_read_so_far(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 200)
    rows = [row for n in range(1000) for row in order_rows(f"#{3000 + n}", **{"Notes": "n" * 150})]
    path = write_csv(tmp_path / "orders.csv", rows)  # ~300 kB: far more than one read-ahead
    size = path.stat().st_size
    shares: list[float] = []
    import_orders(db, path, progress=lambda _rows, read: shares.append((read or 0) / size))

    assert len(shares) == 6 and shares == sorted(shares)
    assert shares[0] < 0.25  # 200 rows of 1,000: not the whole file at the first update
    assert 0.35 < shares[2] < 0.65
    assert shares[-1] == 1.0


# --- idempotency ----------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", order_rows("#2001") + order_rows("#2002", Notes="x"))
    import_orders(db, path)
    before = counts(db)
    updated_at = load(db, "#2001").updated_at

    summary = import_orders(db, path)

    assert (summary.orders_created, summary.orders_updated, summary.orders_unchanged) == (0, 0, 2)
    assert summary.line_items == 0
    assert counts(db) == before
    assert load(db, "#2001").updated_at == updated_at
    assert summary.describe() == "2 orders: 0 new, 0 updated, 2 unchanged; 0 line items written."


def test_a_newer_export_rewrites_a_changed_order_in_place(db: Database, tmp_path: Path) -> None:
    old = order_rows("#2001", ("1", "Beanie", "10.00"), ("1", "Socks", "5.00"), **{"Tracking Number": ""})
    import_orders(db, write_csv(tmp_path / "old.csv", old + order_rows("#2002")))
    before = load(db, "#2001")

    new = order_rows(
        "#2001",
        ("3", "Beanie", "10.00"),
        **{"Fulfillment Status": "fulfilled", "Total": "30.00", "Tracking Number": "jj fi 123"},
    )
    summary = import_orders(db, write_csv(tmp_path / "new.csv", new + order_rows("#2002") + order_rows("#2003")))

    assert (summary.orders_created, summary.orders_updated, summary.orders_unchanged) == (1, 1, 1)
    after = load(db, "#2001")
    assert after.id == before.id
    assert (after.total, after.fulfillment_status) == (Decimal("30.00"), "fulfilled")
    assert [(li.name, li.quantity) for li in after.line_items] == [("Beanie", 3)]
    assert not {li.id for li in before.line_items} & {li.id for li in after.line_items}
    assert [f.tracking_number for f in after.fulfillments] == ["JJFI123"]
    assert after.line_items[0].fulfillment_id == after.fulfillments[0].id
    assert counts(db)["line_items"] == 3  # #2001's one, #2002's and #2003's


# --- files that must not be imported ---------------------------------------------------------------


def test_missing_required_column(db: Database, tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c != "Currency"]
    rows = [{k: v for k, v in row.items() if k != "Currency"} for row in order_rows("#2001")]
    path = write_csv(tmp_path / "orders.csv", rows, columns=columns)

    with pytest.raises(ImportFailed, match='no "Currency" column') as failed:
        import_orders(db, path)

    assert failed.value.line == 1
    assert counts(db)["orders"] == 0


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"Total": "12,50"}, "Total", '"12,50" is not an amount'),
        ({"Created at": "11/05/2026"}, "Created at", "is not a time like"),
        ({"Currency": "EURO"}, "Currency", "is not a currency code"),
        ({"Lineitem quantity": "0"}, "Lineitem quantity", "not a whole number of at least 1"),
        ({"Lineitem quantity": "1.5"}, "Lineitem quantity", "not a whole number of at least 1"),
        ({"Lineitem price": "abc"}, "Lineitem price", '"abc" is not an amount'),
    ],
)
def test_a_broken_row_imports_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, str], column: str, reason: str
) -> None:
    monkeypatch.setattr(writer, "_FLUSH_ROWS", 1)  # the good orders before the bad row reach the database
    good = order_rows("#2001") + order_rows("#2002", ("1", "Cap", "5.00"), ("2", "Socks", "5.00"))
    broken = order_rows("#2003")
    broken[0].update(change)
    path = write_csv(tmp_path / "orders.csv", good + broken + order_rows("#2004"))

    with pytest.raises(ImportFailed) as failed:
        import_orders(db, path)

    message = str(failed.value)
    assert message.startswith(f'Line 5 (order #2003), column "{column}": ')
    assert reason in message
    assert (failed.value.line, failed.value.column) == (5, column)
    assert counts(db) == dict.fromkeys(counts(db), 0)


def test_a_broken_row_leaves_earlier_imports_alone(db: Database, tmp_path: Path) -> None:
    import_orders(db, write_csv(tmp_path / "first.csv", order_rows("#2001")))
    before = counts(db)
    rows = order_rows("#2001", Total="99.00") + order_rows("#2002", **{"Paid at": "yesterday"})

    with pytest.raises(ImportFailed, match=r'Line 3 \(order #2002\), column "Paid at"'):
        import_orders(db, write_csv(tmp_path / "second.csv", rows))

    assert counts(db) == before
    assert load(db, "#2001").total == Decimal("10.00")


def test_a_continuation_row_without_its_first_row(db: Database, tmp_path: Path) -> None:
    orphan = {"Name": "#2002", "Lineitem quantity": "1", "Lineitem name": "Cap", "Lineitem price": "5.00"}
    rows = [*order_rows("#2001"), orphan]

    with pytest.raises(ImportFailed, match="first row") as failed:
        import_orders(db, write_csv(tmp_path / "orders.csv", rows))

    assert str(failed.value).startswith("Line 3 (order #2002): ")
    assert counts(db)["orders"] == 0


def test_the_same_order_twice(db: Database, tmp_path: Path) -> None:
    rows = order_rows("#2001") + order_rows("#2002") + order_rows("#2001")

    with pytest.raises(ImportFailed, match=r"already came earlier in the file \(from line 2\)") as failed:
        import_orders(db, write_csv(tmp_path / "orders.csv", rows))

    assert failed.value.line == 4
    assert counts(db)["orders"] == 0


@pytest.mark.parametrize(
    "content",
    [
        "Handle,Title,Body (HTML),Vendor\nbeanie,Beanie,<p>Warm</p>,Pohjola\n",  # a products export
        "First Name,Last Name,Email,Phone,Accepts Email Marketing\nAnna,Virtanen,anna@example.com,,yes\n",
        "Dear support,\nplease find my order attached.\n",
    ],
)
def test_not_an_orders_export(db: Database, tmp_path: Path, content: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ImportFailed, match=r"^This is not a Shopify orders export: missing columns Name, "):
        import_orders(db, path)

    assert counts(db)["orders"] == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", r"^This is not a UTF-8 CSV file \(invalid continuation byte\)"),
        ("Name,Email\n".encode("utf-16-le"), r"^Line 1: this is not a UTF-8 CSV file \(it contains NUL bytes"),
        (",".join(COLUMNS).encode() + b'\n#2001,"an open quote\n', r"^Line 2: this is not a readable CSV file"),
    ],
)
def test_not_a_csv_file(db: Database, tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFailed, match=reason):
        import_orders(db, path)

    assert counts(db)["orders"] == 0


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\r\n  \n"])
def test_empty_file(db: Database, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFailed, match=r"^The file is empty$"):
        import_orders(db, path)

    assert counts(db)["orders"] == 0


# --- the customer-name index ---------------------------------------------------------------------


def names_matching(db: Database, prefix: str) -> list[str]:
    """Orders whose folded customer name has a word starting with `prefix`, through the name index."""
    with db.session() as session:
        if db.dialect == "sqlite":
            # external-content FTS5 indexes must agree with their tables
            for fts in ("order_name_fts", "order_name_fts_distinct"):
                session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))
            # the distinct names the index finds, and the orders linked to them that carry them (migration 0011)
            stmt = text(
                "SELECT DISTINCT o.name FROM order_name_fts_distinct AS f "
                "JOIN order_names_distinct AS d ON d.id = f.rowid "
                "JOIN order_names_orders AS l ON l.name = d.name "
                "JOIN orders AS o ON o.id = l.order_id AND o.search_name = d.name "
                "WHERE order_name_fts_distinct MATCH :q ORDER BY o.name"
            )
            return list(session.scalars(stmt, {"q": f'"{prefix}"*'}))
        stmt = text(
            "SELECT name FROM orders WHERE to_tsvector('simple'::regconfig, search_name) "
            "@@ to_tsquery('simple', :q) ORDER BY name"
        )
        return list(session.scalars(stmt, {"q": f"{prefix}:*"}))


def test_imported_and_rewritten_orders_are_found_by_customer_name(db: Database, tmp_path: Path) -> None:
    import_orders(db, DEMO_ORDERS)
    assert names_matching(db, "berz") == ["#1001", "#1024"]
    assert names_matching(db, "jorgen") == ["#1003"]

    renamed = order_rows("#2001", **{"Billing Name": "Mārtiņš Liepiņš"})
    first = order_rows("#2001", **{"Billing Name": "Ēriks Ūdris"})
    import_orders(db, write_csv(tmp_path / "a.csv", first), alongside_demo=True)
    import_orders(db, write_csv(tmp_path / "b.csv", renamed), alongside_demo=True)

    assert names_matching(db, "udris") == []
    assert names_matching(db, "liepi") == ["#2001"]


def test_a_failed_import_leaves_the_name_index_working(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "_FLUSH_ROWS", 1)
    rows = order_rows("#2001", **{"Billing Name": "Jūratė Kazlauskaitė"}) + order_rows("#2002", Currency="€")
    with pytest.raises(ImportFailed, match="Currency"):
        import_orders(db, write_csv(tmp_path / "orders.csv", rows))

    with db.session(write=True) as session:  # written the way the bot writes: the index must follow
        session.add(
            OrderRow(
                name="#3001", customer_name="Rūta Žukauskienė", search_name="ruta zukauskiene", currency="EUR",
                subtotal=Decimal(0), shipping=Decimal(0), taxes=Decimal(0), discount=Decimal(0), total=Decimal(0),
                refunded=Decimal(0), outstanding=Decimal(0), financial_status="paid", fulfillment_status="",
                created_at=datetime(2026, 9, 1, tzinfo=UTC), updated_at=datetime(2026, 9, 1, tzinfo=UTC),
            )
        )  # fmt: skip

    assert names_matching(db, "kazlausk") == []
    assert names_matching(db, "zukausk") == ["#3001"]


# --- demo seed ------------------------------------------------------------------------------------


def test_seed_demo_orders_seeds_an_empty_store_once(db: Database) -> None:
    first = seed_demo_orders(db)

    assert isinstance(first, ImportSummary)
    assert first.orders_created == 24
    assert seed_demo_orders(db) is None
    assert counts(db)["orders"] == 24


def test_seed_demo_orders_leaves_a_store_with_orders_alone(db: Database, tmp_path: Path) -> None:
    import_orders(db, write_csv(tmp_path / "orders.csv", order_rows("#2001")))

    assert seed_demo_orders(db) is None
    with db.session() as session:
        assert session.scalars(select(OrderRow.name)).all() == ["#2001"]


def test_an_export_is_not_mixed_into_the_demo_orders(db: Database, tmp_path: Path) -> None:
    seed_demo_orders(db)
    before = counts(db)
    real = order_rows("#1001", **{"Billing Name": "Real Customer"}) + order_rows("#5001")
    export = write_csv(tmp_path / "shop.csv", real)

    with pytest.raises(ImportFailed, match="holds the demo orders") as refused:
        import_orders(db, export)
    assert "fresh database" in str(refused.value) and "DATABASE_URL" in str(refused.value)
    assert counts(db) == before  # nothing of the export, and the demo order #1001 as it was
    assert load(db, "#1001").customer_name == "Jānis Bērziņš"

    again = import_orders(db, DEMO_ORDERS)  # the demo's own file may come again (two instances seeding at once)
    assert again.orders_unchanged == 24 and again.orders_created == 0
    added = import_orders(db, write_csv(tmp_path / "more.csv", order_rows("#5001")), alongside_demo=True)
    assert added.orders_created == 1


def test_an_export_into_a_fresh_database_then_leaves_no_room_for_the_demo(db: Database, tmp_path: Path) -> None:
    summary = import_orders(db, write_csv(tmp_path / "shop.csv", order_rows("#1001") + order_rows("#1002")))
    assert summary.orders_created == 2
    assert seed_demo_orders(db) is None  # the bot seeds only an empty database
    assert import_orders(db, write_csv(tmp_path / "later.csv", order_rows("#1003"))).orders_created == 1
