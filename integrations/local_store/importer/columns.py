"""Where each column of Shopify's orders export sits in one file: matched by name (case does not matter), so column
order is free and unknown columns are ignored; every optional column the file lacks reads as empty."""

from __future__ import annotations

from integrations.local_store.importer.errors import ImportFailed

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

ADDRESS_PARTS = {  # stored field -> export column after "Shipping "/"Billing "
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


ORDER_COLUMNS = (  # read from an order's first row
    "Id", "Email", "Phone", "Billing Name", "Shipping Name", "Billing Phone", "Shipping Phone", "Currency", "Subtotal",
    "Shipping", "Taxes", "Discount Amount", "Total", "Refunded Amount", "Outstanding Balance", "Financial Status",
    "Fulfillment Status", "Created at", "Paid at", "Fulfilled at", "Cancelled at", "Shipping Method", "Payment Method",
    "Tags", "Notes", "Note Attributes", "Locale", "Payment Reference",
)  # fmt: skip


class Columns:
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
        self.order = {column: self[column] for column in ORDER_COLUMNS}
        self.address = {
            prefix: {key: self[f"{prefix} {part}"] for key, part in ADDRESS_PARTS.items()}
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
