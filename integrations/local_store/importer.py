"""Load a Shopify orders export (CSV) into the local store.

The format is Shopify's own (Admin → Orders → Export, "CSV for Excel, Numbers, or other spreadsheet
programs"): one row per line item; the first row of an order carries the order-level columns and the
following rows of the same order (same `Name`) leave most of them empty. Quoted fields may span lines;
the file may start with a UTF-8 BOM and use CRLF line endings. Columns are matched by name (case does
not matter), so column order is free and unknown columns are ignored.

Required columns: Name, Email, Financial Status, Fulfillment Status, Currency, Total, Created at,
Lineitem quantity, Lineitem name, Lineitem price. Every other Shopify column is optional.

Optional columns that Shopify does not export (add them to carry data Shopify keeps elsewhere):

- `Tracking Number`, `Tracking Company`, `Tracking URL` — per line-item row. Line items of an order that
  share a tracking number make one fulfillment (a parcel); the number is stored upper case without
  spaces, which is how lookups compare it.
- `Locale` — the customer's language, e.g. `fi` or `sv-SE`; customer e-mails are written in it.

Into a database that holds the demo orders (seeded into an empty database so the bot has something to show),
nothing else is imported: real and demo orders (with the demo's returns and refunds) would be mixed. Such an
import is refused; import into a fresh database instead.

The whole file is one transaction: any problem (a missing column, a bad number or date, a continuation
row without its order's first row, ...) imports nothing and raises `ImportFailed`, whose message names
the line (as a person counts them, the header is line 1) and the column. Importing is idempotent: an
order whose rows did not change is skipped, a changed order is rewritten in place (same primary key).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from operator import gt, itemgetter
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, select, text, update
from sqlalchemy.types import String

from domain.text import fold
from storage.db import Database
from storage.models import AddressRow, FulfillmentRow, LineItemRow, OrderRow, TransactionRow

ImportSource = Path | str | IO[str] | IO[bytes] | Iterable[str]
# progress(rows read, bytes of the file read so far); None for a stream, whose size is not known
Progress = Callable[[int, int | None], None]

# Written for this project (not a customer's data): 24 orders of a Nordic outdoor shop in Shopify's
# export format, with the optional Tracking Number/Company/URL and Locale columns. seed.py puts them into
# an empty database; the importer must recognise them to keep them apart from a shop's real orders.
DEMO_ORDERS: Path = Path(__file__).with_name("demo_orders.csv")
DEMO_IN_DATABASE = (
    "this database holds the demo orders (#1001-#1024) that returnbot puts into an empty database, and "
    "importing a real export into it would mix your orders with the demo's orders, returns and refunds. "
    "Import into a fresh database: set DATABASE_URL to a new database (or delete the demo's SQLite file) "
    "and run import-orders again before starting the bot"
)

REQUIRED_COLUMNS = (
    "Name",
    "Email",
    "Financial Status",
    "Fulfillment Status",
    "Currency",
    "Total",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
)
PROGRESS_EVERY = 5_000  # rows between progress calls
_FLUSH_ROWS = 5_000  # rows parsed before their orders are written (bounds memory on big files)

# Part of every content hash: bump it when the mapping from export rows to stored rows changes, so the
# next import rewrites every order instead of skipping it as unchanged.
_FORMAT_VERSION = b"returnbot-orders-export/1\n"
# Serialises imports on PostgreSQL (SQLite already serialises writers): two imports of the same file at
# once would otherwise both insert the same new orders.
_PG_IMPORT_LOCK = 0x52424F49  # "RBOI"

_ORDERS = cast(Table, OrderRow.__table__)
_ADDRESSES = cast(Table, AddressRow.__table__)
_LINE_ITEMS = cast(Table, LineItemRow.__table__)
_FULFILLMENTS = cast(Table, FulfillmentRow.__table__)
_TRANSACTIONS = cast(Table, TransactionRow.__table__)

_AMOUNT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DIGITS = re.compile(r"[0-9]+")
_ZERO = Decimal("0.00")
_FLAGS = {"": True, "true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_MAX_INT = 2**31 - 1
_TIME_EXAMPLE = "2025-05-11 09:55:16 -0400"


class ImportFailed(Exception):
    """The export could not be imported; nothing was stored. The message is fit to show a person."""

    def __init__(self, reason: str, *, line: int | None = None, column: str | None = None, order: str = "") -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.order = order
        super().__init__(_describe_problem(reason, line, column, order))


def _describe_problem(reason: str, line: int | None, column: str | None, order: str) -> str:
    where = f"line {line}" if line is not None else ""
    if order:
        where = f"{where} (order {order})" if where else f"order {order}"
    if column:
        where = f'{where}, column "{column}"' if where else f'column "{column}"'
    message = f"{where}: {reason}" if where else reason
    return message[:1].upper() + message[1:]


@dataclass
class ImportSummary:
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    line_items: int = 0  # line items written by this import (an unchanged order's are left as they were)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    rows: int = 0  # data rows read, skipped ones included

    @property
    def orders(self) -> int:
        return self.orders_created + self.orders_updated + self.orders_unchanged

    def describe(self) -> str:
        if not self.orders:
            text = "No orders in the file"
        else:
            text = (
                f"{_plural(self.orders, 'order')}: {self.orders_created} new, {self.orders_updated} updated, "
                f"{self.orders_unchanged} unchanged; {_plural(self.line_items, 'line item')} written"
            )
        if self.skipped_rows:
            lines = ", ".join(str(line) for line, _ in self.skipped_rows[:5])
            more = ", …" if len(self.skipped_rows) > 5 else ""
            text += f"; {_plural(len(self.skipped_rows), 'row')} skipped (line {lines}{more})"
        return text + "."


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def import_orders(
    db: Database, source: ImportSource, *, progress: Progress | None = None, alongside_demo: bool = False
) -> ImportSummary:
    """Import a Shopify orders export: a path, a text or binary stream, or an iterable of lines.

    Refused (ImportFailed) when the database holds the demo orders and the file has other orders, unless
    `alongside_demo` (tests that add orders beside the demo ones on purpose)."""
    with _open(source) as (lines, bytes_read), _cyclic_gc_paused():
        reader = csv.reader(_without_nul(lines), strict=True)
        with _read_errors(reader):
            header, header_line = _read_header(reader)
            columns = _Columns(header, header_line)
            with db.session(write=True) as session:
                conn = session.connection()
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_IMPORT_LOCK})
                importer = _Importer(conn, columns, refuse_beside_demo=not alongside_demo)
                importer.run(reader, header_line, progress, bytes_read)
                return importer.summary


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """An import makes millions of small dicts and lists, none of them in a reference cycle, and keeps a
    batch of them alive: the cycle collector would rescan that batch again and again (measured: 10-20% of
    the import's time). The collector is process-wide, so it is paused for the process while this runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- reading the file ------------------------------------------------------------------------------


@contextmanager
def _open(source: ImportSource) -> Iterator[tuple[Iterable[str], Callable[[], int] | None]]:
    """The lines, and for a file how many of its bytes have been read so far (to within the read-ahead)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
        with handle:
            # the text layer's own tell() is disabled while iterating; the byte buffer below it knows
            yield handle, cast(IO[bytes], handle.buffer).tell
    elif isinstance(source, io.RawIOBase | io.BufferedIOBase) or "b" in str(getattr(source, "mode", "")):
        wrapper = io.TextIOWrapper(cast(IO[bytes], source), encoding="utf-8-sig", newline="")
        try:
            yield wrapper, None
        finally:
            wrapper.detach()  # the caller owns the stream: do not close it
    else:
        yield cast(Iterable[str], source), None


@cache
def _demo_fingerprints() -> dict[str, str]:
    """Order name -> content hash of each demo order, as an import of the demo file stores them."""
    with DEMO_ORDERS.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        columns = _Columns(*_read_header(reader))
        digests: dict[str, Any] = {}
        for raw in reader:
            if any(cell.strip() for cell in raw):
                name = columns.pad(raw)[columns.name].strip()
                digest = digests.setdefault(name, hashlib.sha256(_FORMAT_VERSION))
                _PendingOrder.add_to(digest, raw)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def _without_nul(lines: Iterable[str]) -> Iterator[str]:
    """A NUL means a binary or UTF-16 file; PostgreSQL would refuse it in text anyway."""
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            reason = "this is not a UTF-8 CSV file (it contains NUL bytes; is it UTF-16 or binary?)"
            raise ImportFailed(reason, line=number)
        yield line


@contextmanager
def _read_errors(reader: Any) -> Iterator[None]:
    """Turns what the csv module and the decoder raise into a message for a person."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"this is not a UTF-8 CSV file ({exc.reason}); export the orders from Shopify as CSV"
        ) from exc
    except csv.Error as exc:
        raise ImportFailed(f"this is not a readable CSV file: {exc}", line=reader.line_num or 1) from exc


def _read_header(reader: Any) -> tuple[list[str], int]:
    for header in reader:
        if any(cell.strip() for cell in header):
            header[0] = header[0].removeprefix("\ufeff")  # a BOM left by a text stream the caller opened
            return [cell.strip() for cell in header], reader.line_num
    raise ImportFailed("the file is empty")


_ADDRESS_PARTS = {  # stored field -> export column after "Shipping "/"Billing "
    "name": "Name",
    "company": "Company",
    "address1": "Address1",
    "address2": "Address2",
    "city": "City",
    "zip": "Zip",
    "province": "Province",
    "country": "Country",
    "phone": "Phone",
}


_ORDER_COLUMNS = (  # read from an order's first row
    "Id", "Email", "Phone", "Billing Name", "Shipping Name", "Billing Phone", "Shipping Phone", "Currency", "Subtotal",
    "Shipping", "Taxes", "Discount Amount", "Total", "Refunded Amount", "Outstanding Balance", "Financial Status",
    "Fulfillment Status", "Created at", "Paid at", "Fulfilled at", "Cancelled at", "Shipping Method", "Payment Method",
    "Tags", "Notes", "Locale", "Payment Reference",
)  # fmt: skip


class _Columns:
    """Where each column sits in this file. Rows are padded so that one extra, always-empty cell at
    index `width` stands in for every optional column the file does not have."""

    def __init__(self, header: list[str], header_line: int) -> None:
        self.width = len(header)
        self._index: dict[str, int] = {}
        for i, name in enumerate(header):
            self._index.setdefault(name.lower(), i)
        missing = [c for c in REQUIRED_COLUMNS if c.lower() not in self._index]
        if len(missing) > len(REQUIRED_COLUMNS) // 2:
            raise ImportFailed(f"this is not a Shopify orders export: missing columns {', '.join(missing)}")
        if missing:
            label = "column" if len(missing) == 1 else "columns"
            names = ", ".join(f'"{c}"' for c in missing)
            raise ImportFailed(f"the orders export has no {names} {label}", line=header_line)
        self.name = self["Name"]
        self.financial_status = self["Financial Status"]
        self.currency = self["Currency"]
        self.total = self["Total"]
        self.quantity = self["Lineitem quantity"]
        self.item_name = self["Lineitem name"]
        self.price = self["Lineitem price"]
        self.compare_at_price = self["Lineitem compare at price"]
        self.item_discount = self["Lineitem discount"]
        self.sku = self["Lineitem sku"]
        self.requires_shipping = self["Lineitem requires shipping"]
        self.taxable = self["Lineitem taxable"]
        self.item_fulfillment_status = self["Lineitem fulfillment status"]
        self.vendor = self["Vendor"]
        self.tracking_number = self["Tracking Number"]
        self.tracking_company = self["Tracking Company"]
        self.tracking_url = self["Tracking URL"]
        self.order = {column: self[column] for column in _ORDER_COLUMNS}
        self.address = {
            prefix: {key: self[f"{prefix} {part}"] for key, part in _ADDRESS_PARTS.items()}
            for prefix in ("Shipping", "Billing")
        }
        self.street = {prefix: self[f"{prefix} Street"] for prefix in ("Shipping", "Billing")}
        self.province_name = {prefix: self[f"{prefix} Province Name"] for prefix in ("Shipping", "Billing")}

    def __getitem__(self, column: str) -> int:
        return self._index.get(column.lower(), self.width)

    def pad(self, row: list[str]) -> list[str]:
        """A copy of `row` with exactly `width` cells plus the empty one (the raw row is hashed as read)."""
        if len(row) == self.width:
            return [*row, ""]
        return row[: self.width] + [""] * (self.width + 1 - len(row))


# --- values ---------------------------------------------------------------------------------------


class _BadValue(Exception):
    """A cell that cannot be read; the caller adds the line and the order."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


class _Amounts:
    """Amounts repeat a lot in an export (0.00, the same prices): each text is parsed once."""

    def __init__(self) -> None:
        self._seen: dict[str, Decimal] = {}

    def __call__(self, value: str, column: str, *, required: bool = False) -> Decimal:
        parsed = self._seen.get(value)
        if parsed is not None:
            return parsed
        text = value.strip()
        if not text:
            if required:
                raise _BadValue(column, "is empty; expected an amount like 12.50")
            return _ZERO
        if _AMOUNT.fullmatch(text) is None:
            raise _BadValue(column, f'"{_clip(text)}" is not an amount like 12.50')
        parsed = Decimal(text)
        if len(self._seen) < 100_000:
            self._seen[value] = parsed
        return parsed


def _time(value: str, column: str, *, required: bool = False) -> datetime | None:
    text = value.strip()
    if not text:
        if required:
            raise _BadValue(column, f"is empty; expected a time like {_TIME_EXAMPLE}")
        return None
    # Shopify's `2025-05-11 09:55:16 -0400` is ISO 8601 but for the space before the offset; without it
    # fromisoformat reads it, some twenty times faster than strptime
    if len(text) == 25 and text[19] == " ":
        text = text[:19] + text[20:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _BadValue(column, f'"{_clip(value.strip())}" is not a time like {_TIME_EXAMPLE}')
    return parsed


def _flag(value: str, column: str) -> bool:
    parsed = _FLAGS.get(value.strip().lower())  # empty: Shopify's default, true
    if parsed is None:
        raise _BadValue(column, f'"{_clip(value.strip())}" is not true or false')
    return parsed


def _fits(value: str, limit: int, column: str) -> str:
    if len(value) > limit:
        raise _BadValue(column, f"is {len(value)} characters long; at most {limit} fit")
    return value


def _clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _order_number(name: str) -> int | None:
    """`#1001` -> 1001; with a prefix or suffix configured in Shopify the last run of digits is the number."""
    runs = _DIGITS.findall(name)
    if not runs:
        return None
    number = int(runs[-1])
    return number if number <= _MAX_INT else None


def _string_limits(table: Table) -> dict[str, int]:
    return {c.name: c.type.length for c in table.columns if isinstance(c.type, String) and c.type.length}


class _Lengths:
    """Stored texts that would not fit their column: PostgreSQL refuses them and SQLite would not, so both
    are told the same. The first test runs in C; only a row with a value too long is looked at by field."""

    def __init__(self, table: Table, sources: dict[str, str]) -> None:
        limits = _string_limits(table)
        self.fields = [(key, limits[key], column) for key, column in sources.items()]
        self.values = itemgetter(*sources)
        self.limits = [limits[key] for key in sources]

    def check(self, row: dict[str, Any]) -> None:
        if any(map(gt, map(len, self.values(row)), self.limits)):
            for key, limit, column in self.fields:
                _fits(row[key], limit, column)


_ORDER_LIMITS = _string_limits(_ORDERS)
_FULFILLMENT_LIMITS = _string_limits(_FULFILLMENTS)
_TRANSACTION_LIMITS = _string_limits(_TRANSACTIONS)

_ORDER_LENGTHS = _Lengths(
    _ORDERS,
    {
        "name": "Name",
        "source_id": "Id",
        "email": "Email",
        "phone": "Phone",
        "customer_name": "Billing Name",
        "financial_status": "Financial Status",
        "fulfillment_status": "Fulfillment Status",
        "shipping_method": "Shipping Method",
        "payment_method": "Payment Method",
        "locale": "Locale",
    },
)
_ADDRESS_LENGTHS = {
    prefix: _Lengths(_ADDRESSES, {key: f"{prefix} {part}" for key, part in _ADDRESS_PARTS.items()})
    for prefix in ("Shipping", "Billing")
}
_LINE_ITEM_LENGTHS = _Lengths(
    _LINE_ITEMS,
    {
        "name": "Lineitem name",
        "sku": "Lineitem sku",
        "fulfillment_status": "Lineitem fulfillment status",
        "vendor": "Vendor",
    },
)


# --- one order ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _PendingOrder:
    """The rows of one order as read, until its last row has come."""

    name: str
    first_line: int
    rows: list[tuple[int, list[str]]]
    digest: Any  # hashlib sha256 object

    def add(self, line: int, raw: list[str], padded: list[str]) -> None:
        self.add_to(self.digest, raw)
        self.rows.append((line, padded))

    @staticmethod
    def add_to(digest: Any, raw: list[str]) -> None:
        """The content hash covers the cells as read: an order whose rows did not change is skipped."""
        digest.update(("\x1f".join(raw) + "\x1e").encode())


@dataclass(slots=True)
class _ParsedOrder:
    """Rows ready to insert: children get `order_id` (and line items `fulfillment_id`) when written."""

    values: dict[str, Any]
    addresses: list[dict[str, Any]]
    line_items: list[dict[str, Any]]
    parcels: list[int | None]  # per line item: index into `fulfillments`
    fulfillments: list[dict[str, Any]]
    transactions: list[dict[str, Any]]
    order_id: int | None = None


class _OrderParser:
    """Turns the rows of one order into table rows, or raises ImportFailed pointing at the bad cell."""

    def __init__(self, columns: _Columns, now: datetime) -> None:
        self.c = columns
        self.now = now
        self.amount = _Amounts()

    def parse(self, pending: _PendingOrder, content_hash: str) -> _ParsedOrder:
        line, row = pending.rows[0]  # `line` follows the row being read, for the error message
        try:
            values = self._order_values(row, pending.name, content_hash)
            order = _ParsedOrder(
                values=values,
                addresses=self._addresses(row),
                line_items=[],
                parcels=[],
                fulfillments=[],
                transactions=self._transactions(values, row),
            )
            by_tracking: dict[str, int] = {}
            for position, (row_line, row) in enumerate(pending.rows, start=1):
                line = row_line
                order.line_items.append(self._line_item(row, position))
                order.parcels.append(self._parcel(row, order.fulfillments, by_tracking, values["fulfilled_at"]))
        except _BadValue as bad:
            raise ImportFailed(bad.reason, line=line, column=bad.column, order=pending.name) from None
        return order

    def _order_values(self, row: list[str], name: str, content_hash: str) -> dict[str, Any]:
        cell = {column: row[i].strip() for column, i in self.c.order.items()}
        amount = self.amount
        currency = cell["Currency"].upper()
        if len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
            raise _BadValue("Currency", f'"{_clip(currency)}" is not a currency code (three letters, like EUR)')
        email = cell["Email"]
        customer_name = cell["Billing Name"] or cell["Shipping Name"]
        values: dict[str, Any] = {
            "name": name,
            "number": _order_number(name),
            "source_id": cell["Id"],
            "email": email,
            "email_lower": email.lower(),
            "phone": cell["Phone"] or cell["Billing Phone"] or cell["Shipping Phone"],
            "customer_name": customer_name,
            # derived index data: cutting it keeps the import going where the full name still fits
            "search_name": fold(customer_name)[: _ORDER_LIMITS["search_name"]].rstrip(),
            "currency": currency,
            "subtotal": amount(cell["Subtotal"], "Subtotal"),
            "shipping": amount(cell["Shipping"], "Shipping"),
            "taxes": amount(cell["Taxes"], "Taxes"),
            "discount": amount(cell["Discount Amount"], "Discount Amount"),
            "total": amount(cell["Total"], "Total", required=True),
            "refunded": amount(cell["Refunded Amount"], "Refunded Amount"),
            "refunded_shipping": _ZERO,  # the export's refunds are order-level: only the bot's count per part
            "outstanding": amount(cell["Outstanding Balance"], "Outstanding Balance"),
            "financial_status": cell["Financial Status"].lower(),
            "fulfillment_status": cell["Fulfillment Status"].lower(),
            "created_at": _time(cell["Created at"], "Created at", required=True),
            "paid_at": _time(cell["Paid at"], "Paid at"),
            "fulfilled_at": _time(cell["Fulfilled at"], "Fulfilled at"),
            "cancelled_at": _time(cell["Cancelled at"], "Cancelled at"),
            "shipping_method": cell["Shipping Method"],
            "payment_method": cell["Payment Method"],
            "tags": cell["Tags"],
            "note": cell["Notes"].replace("\r\n", "\n"),
            "locale": cell["Locale"],
            "content_hash": content_hash,
            "updated_at": self.now,
        }
        _ORDER_LENGTHS.check(values)
        return values

    def _addresses(self, row: list[str]) -> list[dict[str, Any]]:
        addresses = []
        for kind, prefix in (("shipping", "Shipping"), ("billing", "Billing")):
            address = {key: row[i].strip() for key, i in self.c.address[prefix].items()}
            if not address["address1"]:
                address["address1"] = row[self.c.street[prefix]].strip()
            if not address["province"]:
                address["province"] = row[self.c.province_name[prefix]].strip()
            # Shopify writes ZIP codes as '02134 so that spreadsheets keep the leading zero
            address["zip"] = address["zip"].removeprefix("'")
            if not any(address.values()):
                continue  # e.g. a gift card: nothing to ship
            _ADDRESS_LENGTHS[prefix].check(address)
            address["kind"] = kind
            addresses.append(address)
        return addresses

    def _line_item(self, row: list[str], position: int) -> dict[str, Any]:
        c = self.c
        quantity = row[c.quantity].strip()
        if not (quantity.isascii() and quantity.isdigit()) or len(quantity) > 9 or int(quantity) < 1:
            raise _BadValue("Lineitem quantity", f'"{_clip(quantity)}" is not a whole number of at least 1')
        name = row[c.item_name].strip()
        if not name:
            raise _BadValue("Lineitem name", "is empty; every row is one line item and needs its name")
        compare_at = row[c.compare_at_price]
        item = {
            "position": position,
            "name": name,
            "sku": row[c.sku].strip(),
            "quantity": int(quantity),
            "price": self.amount(row[c.price], "Lineitem price", required=True),
            "compare_at_price": self.amount(compare_at, "Lineitem compare at price") if compare_at.strip() else None,
            "discount": self.amount(row[c.item_discount], "Lineitem discount"),
            "requires_shipping": _flag(row[c.requires_shipping], "Lineitem requires shipping"),
            "taxable": _flag(row[c.taxable], "Lineitem taxable"),
            "fulfillment_status": row[c.item_fulfillment_status].strip().lower(),
            "vendor": row[c.vendor].strip(),
            "fulfillment_id": None,
            "refunded_quantity": 0,  # (as refunded_shipping: the export has no line-level refunds)
        }
        _LINE_ITEM_LENGTHS.check(item)
        return item

    def _parcel(
        self,
        row: list[str],
        fulfillments: list[dict[str, Any]],
        by_tracking: dict[str, int],
        fulfilled_at: datetime | None,
    ) -> int | None:
        """The index of the fulfillment this row's tracking number belongs to (made on first sight)."""
        c = self.c
        number = "".join(row[c.tracking_number].split()).upper()
        if not number:
            return None
        index = by_tracking.get(number)
        if index is None:
            index = by_tracking[number] = len(fulfillments)
            fulfillments.append(
                {
                    "tracking_number": _fits(number, _FULFILLMENT_LIMITS["tracking_number"], "Tracking Number"),
                    "tracking_company": "",
                    "tracking_url": "",
                    "created_at": fulfilled_at,
                }
            )
        parcel = fulfillments[index]
        # the company and URL may be given on any row of the parcel; the first one given wins
        if not parcel["tracking_company"]:
            company = row[c.tracking_company].strip()
            parcel["tracking_company"] = _fits(company, _FULFILLMENT_LIMITS["tracking_company"], "Tracking Company")
        if not parcel["tracking_url"]:
            url = row[c.tracking_url].strip()
            parcel["tracking_url"] = _fits(url, _FULFILLMENT_LIMITS["tracking_url"], "Tracking URL")
        return index

    def _transactions(self, values: dict[str, Any], row: list[str]) -> list[dict[str, Any]]:
        # the order keeps the full payment method; a transaction names one gateway, in a shorter column
        gateway = values["payment_method"][: _TRANSACTION_LIMITS["gateway"]]
        transactions = []
        if values["paid_at"] is not None:
            reference = row[self.c.order["Payment Reference"]].strip()
            transactions.append(
                {
                    "kind": "sale",
                    "amount": values["total"],
                    "currency": values["currency"],
                    "gateway": gateway,
                    "reference": _fits(reference, _TRANSACTION_LIMITS["reference"], "Payment Reference"),
                    "created_at": values["paid_at"],
                    "idempotency_key": None,
                }
            )
        if values["refunded"] > 0:
            transactions.append(
                {
                    "kind": "refund",
                    "amount": values["refunded"],
                    "currency": values["currency"],
                    "gateway": gateway,
                    "reference": "",
                    "created_at": None,  # the export does not say when
                    "idempotency_key": None,  # only refunds the bot made carry a key
                }
            )
        return transactions


# --- the whole file ---------------------------------------------------------------------------------


class _Importer:
    """Reads rows, groups them into orders, and writes them in batches, all in the caller's transaction."""

    def __init__(self, conn: Connection, columns: _Columns, *, refuse_beside_demo: bool = True) -> None:
        self.conn = conn
        self.c = columns
        self.parser = _OrderParser(columns, datetime.now(UTC))
        self.summary = ImportSummary()
        self.existing: dict[str, tuple[int, str]] = {
            name: (order_id, content_hash)
            for name, order_id, content_hash in conn.execute(
                select(_ORDERS.c.name, _ORDERS.c.id, _ORDERS.c.content_hash)
            )
        }
        demo = _demo_fingerprints()
        holds_demo = any(demo.get(name) == content_hash for name, (_id, content_hash) in self.existing.items())
        # only the demo's own orders may join them (seeding twice at once; re-importing the demo file)
        self.only_demo = demo if holds_demo and refuse_beside_demo else None
        self.first_lines: dict[str, int] = {}  # order name -> the line its first row was on
        self.current: _PendingOrder | None = None
        self.batch: list[_ParsedOrder] = []
        self.batch_rows = 0
        self.order_ids = _Ids(conn, _ORDERS)
        self.fulfillment_ids = _Ids(conn, _FULFILLMENTS)
        self.insert_orders = _BulkInsert(conn, _ORDERS, with_id=True)
        self.insert_fulfillments = _BulkInsert(conn, _FULFILLMENTS, with_id=True)
        self.insert_line_items = _BulkInsert(conn, _LINE_ITEMS, with_id=False)
        self.insert_addresses = _BulkInsert(conn, _ADDRESSES, with_id=False)
        self.insert_transactions = _BulkInsert(conn, _TRANSACTIONS, with_id=False)

    def run(
        self, reader: Any, header_line: int, progress: Progress | None, bytes_read: Callable[[], int] | None
    ) -> None:
        summary = self.summary
        previous_end = header_line
        with _name_index_filled_at_the_end(self.conn, self.order_ids):
            for raw in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                summary.rows += 1
                if not any(raw) or not any(cell.strip() for cell in raw):
                    summary.skipped_rows.append((line, "empty line" if not raw else "empty row"))
                else:
                    self._take(line, raw)
                if progress is not None and summary.rows % PROGRESS_EVERY == 0:
                    progress(summary.rows, bytes_read() if bytes_read else None)
            if self.current is not None:
                self._finish(self.current)
            self._flush()
        if progress is not None:
            progress(summary.rows, bytes_read() if bytes_read else None)

    def _take(self, line: int, raw: list[str]) -> None:
        row = self.c.pad(raw)
        name = row[self.c.name].strip()
        if not name:
            raise ImportFailed("is empty; every row needs the name of its order, like #1001", line=line, column="Name")
        current = self.current
        if current is not None and name == current.name:
            current.add(line, raw, row)
            return
        if current is not None:
            self._finish(current)
        first_line = self.first_lines.get(name)
        if first_line is not None:
            raise ImportFailed(
                f"this order already came earlier in the file (from line {first_line}); "
                "the rows of one order must be next to each other (were two exports joined?)",
                line=line,
                order=name,
            )
        if not (row[self.c.financial_status].strip() or row[self.c.currency].strip() or row[self.c.total].strip()):
            raise ImportFailed(
                "this row continues an order whose first row (with Financial Status, Currency and Total) "
                "is not in the file before it",
                line=line,
                order=name,
            )
        self.first_lines[name] = line
        self.current = _PendingOrder(name, line, [], hashlib.sha256(_FORMAT_VERSION))
        self.current.add(line, raw, row)

    def _finish(self, pending: _PendingOrder) -> None:
        content_hash = pending.digest.hexdigest()
        if self.only_demo is not None and self.only_demo.get(pending.name) != content_hash:
            raise ImportFailed(DEMO_IN_DATABASE)
        known = self.existing.get(pending.name)
        if known is not None and known[1] == content_hash:
            self.summary.orders_unchanged += 1
            return
        parsed = self.parser.parse(pending, content_hash)
        if known is not None:
            parsed.order_id = known[0]
        self.batch.append(parsed)
        self.batch_rows += len(pending.rows)
        if self.batch_rows >= _FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        new = [o for o in self.batch if o.order_id is None]
        changed = [o for o in self.batch if o.order_id is not None]
        for order, order_id in zip(new, self.order_ids.take(len(new)), strict=True):
            order.order_id = order.values["id"] = order_id
        self.insert_orders([o.values for o in new])
        if changed:
            self._rewrite(changed)
        self._insert_children(self.batch)
        self.summary.orders_created += len(new)
        self.summary.orders_updated += len(changed)
        self.batch = []
        self.batch_rows = 0

    def _rewrite(self, orders: list[_ParsedOrder]) -> None:
        """Same primary key (workflows and Slack buttons refer to it), fresh children."""
        stmt = update(_ORDERS).where(_ORDERS.c.id == bindparam("order_pk"))
        self.conn.execute(stmt, [{**o.values, "order_pk": o.order_id} for o in orders])
        ids = [o.order_id for o in orders]
        # line items first: they point at fulfillments
        for table in (_LINE_ITEMS, _FULFILLMENTS, _ADDRESSES, _TRANSACTIONS):
            self.conn.execute(delete(table).where(table.c.order_id.in_(ids)))

    def _insert_children(self, orders: list[_ParsedOrder]) -> None:
        fulfillment_ids = iter(self.fulfillment_ids.take(sum(len(o.fulfillments) for o in orders)))
        fulfillments: list[dict[str, Any]] = []
        line_items: list[dict[str, Any]] = []
        addresses: list[dict[str, Any]] = []
        transactions: list[dict[str, Any]] = []
        for order in orders:
            for children, rows in (
                (fulfillments, order.fulfillments),
                (line_items, order.line_items),
                (addresses, order.addresses),
                (transactions, order.transactions),
            ):
                for row in rows:
                    row["order_id"] = order.order_id
                children.extend(rows)
            parcel_ids = []
            for parcel in order.fulfillments:
                parcel["id"] = next(fulfillment_ids)
                parcel_ids.append(parcel["id"])
            for item, parcel_index in zip(order.line_items, order.parcels, strict=True):
                if parcel_index is not None:
                    item["fulfillment_id"] = parcel_ids[parcel_index]
        self.insert_fulfillments(fulfillments)  # before the line items that point at them
        self.insert_line_items(line_items)
        self.insert_addresses(addresses)
        self.insert_transactions(transactions)
        self.summary.line_items += len(line_items)


# --- writing --------------------------------------------------------------------------------------


class _Ids:
    """Primary keys handed out before the rows are inserted, so children can point at their parents
    without RETURNING (which SQLite runs one statement per row when the order of the ids must be known)."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.postgres = conn.dialect.name == "postgresql"
        # SQLite: the import holds the write lock (BEGIN IMMEDIATE) until it commits, so nobody else can
        # take ids above the current maximum in the meantime
        self.next_id = 0 if self.postgres else (conn.scalar(select(func.max(table.c.id))) or 0) + 1
        self.first_id = self.next_id

    def take(self, count: int) -> list[int]:
        if count == 0:
            return []
        if self.postgres:
            stmt = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
            return list(self.conn.execute(stmt, {"table": self.table.name, "count": count}).scalars())
        first = self.next_id
        self.next_id += count
        return list(range(first, first + count))


class _BulkInsert:
    """Many rows into one table, the fastest way each database takes them: executemany on the SQLite
    driver, COPY on PostgreSQL. SQLAlchemy's own executemany costs more per row than SQLite's insert
    does, and on psycopg it turns into one unprepared statement per row (see `make_engine`) or, with
    multi-row VALUES, into seconds of placeholder rewriting. Values still go through each column type's
    bind processor, so they are stored exactly as through the models (Decimal as text on SQLite, UTC
    datetimes, ...)."""

    def __init__(self, conn: Connection, table: Table, *, with_id: bool) -> None:
        dialect = conn.dialect
        quote = dialect.identifier_preparer.quote
        columns = [c for c in table.columns if with_id or c.name != "id"]
        names = ", ".join(quote(c.name) for c in columns)
        self.conn = conn
        self.copy = dialect.name == "postgresql"
        if self.copy:
            self.sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        else:
            self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join(['?'] * len(columns))})"
        self.values = itemgetter(*(c.name for c in columns))
        self.processors = [
            (i, process) for i, c in enumerate(columns) if (process := c.type.bind_processor(dialect)) is not None
        ]

    def __call__(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        params = list(map(self.values, rows))
        if self.processors:
            # column by column, so the loops run in C (zip, map) and Python only runs the processors
            columns: list[Any] = list(zip(*params, strict=True))
            for i, process in self.processors:
                columns[i] = _processed(columns[i], process)
            params = list(zip(*columns, strict=True))
        if not self.copy:
            self.conn.exec_driver_sql(self.sql, params)
            return
        # psycopg's cursor on the connection (and so in the transaction) the import runs in
        driver = self.conn.connection.driver_connection
        assert driver is not None, "an open connection has its driver's connection"
        with driver.cursor() as cursor, cursor.copy(self.sql) as copy:
            for values in params:
                copy.write_row(values)


def _processed(values: Sequence[Any], process: Callable[[Any], Any]) -> Iterator[Any]:
    """`map(process, values)`, processing each distinct object once: amounts come from the parse cache,
    flags are True or False, `updated_at` is one datetime. By identity, not equality: Decimal("1.0") and
    Decimal("1.00") are equal but stored as different text. (Every value is alive, so ids are unique.)"""
    keys = list(map(id, values))
    done = {key: process(value) for key, value in dict(zip(keys, values, strict=True)).items()}
    return map(done.__getitem__, keys)


_NAME_INDEX_TRIGGER = "orders_fts_ai"  # migration 0001: SQLite's customer-name index, kept up by triggers


@contextmanager
def _name_index_filled_at_the_end(conn: Connection, order_ids: _Ids) -> Iterator[None]:
    """On SQLite, index the new orders' names in one statement instead of one trigger run per order.

    FTS5 fired from a row trigger costs 20-40 µs an order, more than the rest of the import spends on
    it; one INSERT ... SELECT costs a tenth of that. The insert trigger is dropped, and created again
    from the SQL the database stored for it, inside the import's transaction: nobody sees it missing,
    and a failed import rolls the drop back with everything else. Without that trigger (another schema,
    PostgreSQL) this does nothing.
    """
    trigger_sql = None
    if conn.dialect.name == "sqlite":
        trigger_sql = conn.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": _NAME_INDEX_TRIGGER},
        )
    if trigger_sql is None:
        yield
        return
    conn.exec_driver_sql(f"DROP TRIGGER {_NAME_INDEX_TRIGGER}")
    yield
    conn.execute(
        text("INSERT INTO order_name_fts(rowid, search_name) SELECT id, search_name FROM orders WHERE id >= :first"),
        {"first": order_ids.first_id},
    )
    conn.exec_driver_sql(trigger_sql)
