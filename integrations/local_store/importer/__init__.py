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

The package, in the order an import runs: importing.py (the entry point: one transaction, the whole file),
source.py (opening and reading the file), columns.py (where each column is), order_rows.py (folding an order's
continuation rows into it), order_parser.py with cells.py and tables.py (rows into table rows, each cell checked),
writer.py and bulk_writes.py (the batches into SQLite or PostgreSQL, by COPY there), demo_guard.py (keeping a
shop's orders out of the demo's database), progress.py (what an import reports) and errors.py.
"""

from integrations.local_store.importer.columns import REQUIRED_COLUMNS
from integrations.local_store.importer.demo_guard import DEMO_IN_DATABASE, DEMO_ORDERS
from integrations.local_store.importer.errors import ImportFailed
from integrations.local_store.importer.importing import PROGRESS_EVERY, import_orders  # (patch it in importing)
from integrations.local_store.importer.progress import ImportSummary, Progress
from integrations.local_store.importer.source import ImportSource

__all__ = [
    "DEMO_IN_DATABASE",
    "DEMO_ORDERS",
    "PROGRESS_EVERY",
    "REQUIRED_COLUMNS",
    "ImportFailed",
    "ImportSource",
    "ImportSummary",
    "Progress",
    "import_orders",
]
