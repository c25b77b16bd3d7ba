"""The tables an import writes (as Core tables: it bypasses the ORM), and the lengths their text columns allow,
checked with the name of the export column each text came from."""

from __future__ import annotations

from operator import gt, itemgetter
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.types import String

from integrations.local_store.importer.cells import fits
from integrations.local_store.importer.columns import ADDRESS_PARTS
from storage.models import AddressRow, FulfillmentRow, LineItemRow, OrderRow, TransactionRow

ORDERS = cast(Table, OrderRow.__table__)
ADDRESSES = cast(Table, AddressRow.__table__)
LINE_ITEMS = cast(Table, LineItemRow.__table__)
FULFILLMENTS = cast(Table, FulfillmentRow.__table__)
TRANSACTIONS = cast(Table, TransactionRow.__table__)


def string_limits(table: Table) -> dict[str, int]:
    return {c.name: c.type.length for c in table.columns if isinstance(c.type, String) and c.type.length}


class Lengths:
    """Stored texts that would not fit their column: PostgreSQL refuses them and SQLite would not, so both
    are told the same. The first test runs in C; only a row with a value too long is looked at by field."""

    def __init__(self, table: Table, sources: dict[str, str]) -> None:
        limits = string_limits(table)
        self.fields = [(key, limits[key], column) for key, column in sources.items()]
        self.values = itemgetter(*sources)
        self.limits = [limits[key] for key in sources]

    def check(self, row: dict[str, Any]) -> None:
        if any(map(gt, map(len, self.values(row)), self.limits)):
            for key, limit, column in self.fields:
                fits(row[key], limit, column)


ORDER_LIMITS = string_limits(ORDERS)
FULFILLMENT_LIMITS = string_limits(FULFILLMENTS)
TRANSACTION_LIMITS = string_limits(TRANSACTIONS)

ORDER_LENGTHS = Lengths(
    ORDERS,
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
ADDRESS_LENGTHS = {
    prefix: Lengths(ADDRESSES, {key: f"{prefix} {part}" for key, part in ADDRESS_PARTS.items()})
    for prefix in ("Shipping", "Billing")
}
LINE_ITEM_LENGTHS = Lengths(
    LINE_ITEMS,
    {
        "name": "Lineitem name",
        "sku": "Lineitem sku",
        "fulfillment_status": "Lineitem fulfillment status",
        "vendor": "Vendor",
    },
)
