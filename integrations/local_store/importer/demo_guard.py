"""Keeping a shop's orders out of a database that holds the demo orders: the demo's orders are recognised by their
content hash, as an import of the demo file stores it."""

from __future__ import annotations

import csv
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from integrations.local_store.importer.columns import Columns
from integrations.local_store.importer.order_rows import FORMAT_VERSION, PendingOrder
from integrations.local_store.importer.source import read_header

# Written for this project (not a customer's data): 24 orders of a Nordic outdoor shop in Shopify's
# export format, with the optional Tracking Number/Company/URL and Locale columns. seed.py puts them into
# an empty database; the importer must recognise them to keep them apart from a shop's real orders.
DEMO_ORDERS: Path = Path(__file__).parents[1] / "demo_orders.csv"
DEMO_IN_DATABASE = (
    "this database holds the demo orders (#1001-#1024) that returnbot puts into an empty database, and "
    "importing a real export into it would mix your orders with the demo's orders, returns and refunds. "
    "Import into a fresh database: set DATABASE_URL to a new database (or delete the demo's SQLite file) "
    "and run import-orders again before starting the bot"
)


@cache
def demo_fingerprints() -> dict[str, str]:
    """Order name -> content hash of each demo order, as an import of the demo file stores them."""
    with DEMO_ORDERS.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        columns = Columns(*read_header(reader))
        digests: dict[str, Any] = {}
        for raw in reader:
            if any(cell.strip() for cell in raw):
                name = columns.pad(raw)[columns.name].strip()
                digest = digests.setdefault(name, hashlib.sha256(FORMAT_VERSION))
                PendingOrder.add_to(digest, raw)
    return {name: digest.hexdigest() for name, digest in digests.items()}
