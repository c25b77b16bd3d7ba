"""Parsed orders into the database in batches, all in the caller's transaction: new orders inserted with ids
handed out in advance, changed orders rewritten in place (same primary key, fresh children)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from integrations.local_store.importer.bulk_writes import BulkInsert, PrimaryKeys
from integrations.local_store.importer.order_parser import ParsedOrder
from integrations.local_store.importer.progress import ImportSummary
from integrations.local_store.importer.tables import ADDRESSES, FULFILLMENTS, LINE_ITEMS, ORDERS, TRANSACTIONS

_FLUSH_ROWS = 5_000  # rows parsed before their orders are written (bounds memory on big files)


class OrderWriter:
    """Holds parsed orders until enough rows are parsed, then writes them; counts what it wrote in `summary`."""

    def __init__(self, conn: Connection, summary: ImportSummary) -> None:
        self.conn = conn
        self.summary = summary
        self.batch: list[ParsedOrder] = []
        self.batch_rows = 0
        self.written: list[int] = []  # ids of the orders inserted or rewritten, for the name index
        self.left_emails: set[str] = set()  # the e-mails rewritten orders had: their other orders are linked again
        self.order_ids = PrimaryKeys(conn, ORDERS)
        self.fulfillment_ids = PrimaryKeys(conn, FULFILLMENTS)
        self.insert_orders = BulkInsert(conn, ORDERS, with_id=True)
        self.insert_fulfillments = BulkInsert(conn, FULFILLMENTS, with_id=True)
        self.insert_line_items = BulkInsert(conn, LINE_ITEMS, with_id=False)
        self.insert_addresses = BulkInsert(conn, ADDRESSES, with_id=False)
        self.insert_transactions = BulkInsert(conn, TRANSACTIONS, with_id=False)

    def add(self, order: ParsedOrder, rows: int) -> None:
        """One more order to write, parsed from `rows` rows of the file."""
        self.batch.append(order)
        self.batch_rows += rows
        if self.batch_rows >= _FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
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
        self.written.extend(o.order_id for o in self.batch if o.order_id is not None)
        self.summary.orders_created += len(new)
        self.summary.orders_updated += len(changed)
        self.batch = []
        self.batch_rows = 0

    def _rewrite(self, orders: list[ParsedOrder]) -> None:
        """Same primary key (workflows and Slack buttons refer to it), fresh children."""
        ids = [o.order_id for o in orders]
        was = select(ORDERS.c.email_lower).where(ORDERS.c.id.in_(ids), ORDERS.c.email_lower != "")
        self.left_emails.update(self.conn.scalars(was))
        stmt = update(ORDERS).where(ORDERS.c.id == bindparam("order_pk"))
        self.conn.execute(stmt, [{**o.values, "order_pk": o.order_id} for o in orders])
        # line items first: they point at fulfillments
        for table in (LINE_ITEMS, FULFILLMENTS, ADDRESSES, TRANSACTIONS):
            self.conn.execute(delete(table).where(table.c.order_id.in_(ids)))

    def _insert_children(self, orders: list[ParsedOrder]) -> None:
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
