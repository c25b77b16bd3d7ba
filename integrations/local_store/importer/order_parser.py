"""The rows of one order turned into the rows of the tables it is stored in, every cell checked: a cell that cannot
be read, or a text too long for its column, raises ImportFailed naming the line, the column and the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.phones import normalise as phone_key
from domain.text import fold
from integrations.local_store.importer.cells import ZERO, Amounts, clip, fits, order_number, parse_flag, parse_time
from integrations.local_store.importer.columns import Columns
from integrations.local_store.importer.errors import BadValue, ImportFailed
from integrations.local_store.importer.order_rows import PendingOrder
from integrations.local_store.importer.tables import (
    ADDRESS_LENGTHS,
    FULFILLMENT_LIMITS,
    LINE_ITEM_LENGTHS,
    ORDER_LENGTHS,
    ORDER_LIMITS,
    TRANSACTION_LIMITS,
)


@dataclass(slots=True)
class ParsedOrder:
    """Rows ready to insert: children get `order_id` (and line items `fulfillment_id`) when written."""

    values: dict[str, Any]
    addresses: list[dict[str, Any]]
    line_items: list[dict[str, Any]]
    parcels: list[int | None]  # per line item: index into `fulfillments`
    fulfillments: list[dict[str, Any]]
    transactions: list[dict[str, Any]]
    order_id: int | None = None


class OrderParser:
    """Turns the rows of one order into table rows, or raises ImportFailed pointing at the bad cell."""

    def __init__(self, columns: Columns, now: datetime, region: str = "FI") -> None:
        self.c = columns
        self.now = now
        self.region = region  # SHOP_COUNTRY: how a phone number is read where its address names no country
        self.amount = Amounts()
        self._folds: dict[str, str] = {}
        self.billing_country = columns.address["Billing"]["country"]
        self.shipping_country = columns.address["Shipping"]["country"]

    def parse(self, pending: PendingOrder, content_hash: str) -> ParsedOrder:
        line, row = pending.rows[0]  # `line` follows the row being read, for the error message
        try:
            values = self._order_values(row, pending.name, content_hash)
            order = ParsedOrder(
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
        except BadValue as bad:
            raise ImportFailed(bad.reason, line=line, column=bad.column, order=pending.name) from None
        return order

    def _order_values(self, row: list[str], name: str, content_hash: str) -> dict[str, Any]:
        cell = {column: row[i].strip() for column, i in self.c.order.items()}
        amount = self.amount
        currency = cell["Currency"].upper()
        if len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
            raise BadValue("Currency", f'"{clip(currency)}" is not a currency code (three letters, like EUR)')
        email = cell["Email"]
        customer_name = cell["Billing Name"] or cell["Shipping Name"]
        search_name = self._folded(customer_name)
        ship_name = cell["Shipping Name"]
        ship_search_name = "" if ship_name == customer_name else self._folded(ship_name)
        values: dict[str, Any] = {
            "name": name,
            "number": order_number(name),
            "source_id": cell["Id"],
            "email": email,
            "email_lower": email.lower(),
            # Shopify writes numbers as '+358... so that spreadsheets keep them text: the mark is no part of them
            "phone": (cell["Phone"] or cell["Billing Phone"] or cell["Shipping Phone"]).removeprefix("'"),
            "customer_name": customer_name,
            # derived index data: cutting it keeps the import going where the full name still fits
            "search_name": search_name,
            "ship_search_name": "" if ship_search_name == search_name else ship_search_name,  # one person
            "phone_keys": self._phone_keys(row, cell),
            "currency": currency,
            "subtotal": amount(cell["Subtotal"], "Subtotal"),
            "shipping": amount(cell["Shipping"], "Shipping"),
            "taxes": amount(cell["Taxes"], "Taxes"),
            "discount": amount(cell["Discount Amount"], "Discount Amount"),
            "total": amount(cell["Total"], "Total", required=True),
            "refunded": amount(cell["Refunded Amount"], "Refunded Amount"),
            "refunded_shipping": ZERO,  # the export's refunds are order-level: only the bot's count per part
            "outstanding": amount(cell["Outstanding Balance"], "Outstanding Balance"),
            "financial_status": cell["Financial Status"].lower(),
            "fulfillment_status": cell["Fulfillment Status"].lower(),
            "created_at": parse_time(cell["Created at"], "Created at", required=True),
            "paid_at": parse_time(cell["Paid at"], "Paid at"),
            "fulfilled_at": parse_time(cell["Fulfilled at"], "Fulfilled at"),
            "cancelled_at": parse_time(cell["Cancelled at"], "Cancelled at"),
            "shipping_method": cell["Shipping Method"],
            "payment_method": cell["Payment Method"],
            "tags": cell["Tags"],
            "note": cell["Notes"].replace("\r\n", "\n"),
            "note_attributes": cell["Note Attributes"].replace("\r\n", "\n"),
            "locale": cell["Locale"],
            "content_hash": content_hash,
            "updated_at": self.now,
        }
        ORDER_LENGTHS.check(values)
        return values

    def _folded(self, name: str) -> str:
        """A name as the name index holds it (cut to its column: derived data never fails an import). Folding
        costs more than the rest of an order's names, and a customer's orders repeat the same name."""
        folded = self._folds.get(name)
        if folded is None:
            folded = fold(name)[: ORDER_LIMITS["search_name"]].rstrip()
            if len(self._folds) < 200_000:
                self._folds[name] = folded
        return folded

    def _phone_keys(self, row: list[str], cell: dict[str, str]) -> str:
        """The order's numbers as search keys, each read in its address's country (the shop's where none is
        given); a number that is none (`n/a`) is left out, never an error: the card still shows it as written."""
        billing = self._region(row[self.billing_country])
        shipping = self._region(row[self.shipping_country])
        keys: list[str] = []
        numbers = ((cell["Phone"], billing), (cell["Billing Phone"], billing), (cell["Shipping Phone"], shipping))
        for text, region in numbers:
            if text:
                key = phone_key(text, region)[1:]  # without the +: a word to the name index
                if key and key not in keys:
                    keys.append(key)
        return " ".join(keys)[: ORDER_LIMITS["phone_keys"]]

    def _region(self, country: str) -> str:
        code = country.strip()
        return code if len(code) == 2 else self.region  # the export writes ISO codes; anything else: the shop's

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
            address["phone"] = address["phone"].removeprefix("'")
            if not any(address.values()):
                continue  # e.g. a gift card: nothing to ship
            ADDRESS_LENGTHS[prefix].check(address)
            address["kind"] = kind
            addresses.append(address)
        return addresses

    def _line_item(self, row: list[str], position: int) -> dict[str, Any]:
        c = self.c
        quantity = row[c.quantity].strip()
        if not (quantity.isascii() and quantity.isdigit()) or len(quantity) > 9 or int(quantity) < 1:
            raise BadValue("Lineitem quantity", f'"{clip(quantity)}" is not a whole number of at least 1')
        name = row[c.item_name].strip()
        if not name:
            raise BadValue("Lineitem name", "is empty; every row is one line item and needs its name")
        compare_at = row[c.compare_at_price]
        item = {
            "position": position,
            "name": name,
            "sku": row[c.sku].strip(),
            "quantity": int(quantity),
            "price": self.amount(row[c.price], "Lineitem price", required=True),
            "compare_at_price": self.amount(compare_at, "Lineitem compare at price") if compare_at.strip() else None,
            "discount": self.amount(row[c.item_discount], "Lineitem discount"),
            "requires_shipping": parse_flag(row[c.requires_shipping], "Lineitem requires shipping"),
            "taxable": parse_flag(row[c.taxable], "Lineitem taxable"),
            "fulfillment_status": row[c.item_fulfillment_status].strip().lower(),
            "vendor": row[c.vendor].strip(),
            "fulfillment_id": None,
            "refunded_quantity": 0,  # (as refunded_shipping: the export has no line-level refunds)
        }
        LINE_ITEM_LENGTHS.check(item)
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
                    "tracking_number": fits(number, FULFILLMENT_LIMITS["tracking_number"], "Tracking Number"),
                    "tracking_company": "",
                    "tracking_url": "",
                    "created_at": fulfilled_at,
                }
            )
        parcel = fulfillments[index]
        # the company and URL may be given on any row of the parcel; the first one given wins
        if not parcel["tracking_company"]:
            company = row[c.tracking_company].strip()
            parcel["tracking_company"] = fits(company, FULFILLMENT_LIMITS["tracking_company"], "Tracking Company")
        if not parcel["tracking_url"]:
            url = row[c.tracking_url].strip()
            parcel["tracking_url"] = fits(url, FULFILLMENT_LIMITS["tracking_url"], "Tracking URL")
        return index

    def _transactions(self, values: dict[str, Any], row: list[str]) -> list[dict[str, Any]]:
        # the order keeps the full payment method; a transaction names one gateway, in a shorter column
        gateway = values["payment_method"][: TRANSACTION_LIMITS["gateway"]]
        transactions = []
        if values["paid_at"] is not None:
            reference = row[self.c.order["Payment Reference"]].strip()
            transactions.append(
                {
                    "kind": "sale",
                    "amount": values["total"],
                    "currency": values["currency"],
                    "gateway": gateway,
                    "reference": fits(reference, TRANSACTION_LIMITS["reference"], "Payment Reference"),
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
