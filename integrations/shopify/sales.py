"""Shopify's orders as the sales report reads them: `orders(query:)` filtered by creation date and by tag, paged by
cursor, in two runs: the sales (`tag_not:replacement`, five points an order) and then the replacements
(`tag:replacement`, with their tags and list value). The cursor handed back names the run it belongs to.

The client paces every page against the cost bucket (integrations/shopify/throttle.py): a page asks for about 900
points of the 1000 a query may cost, so the report runs at the bucket's restore rate without being throttled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.replacements import REPLACEMENT_TAG
from domain.sales import SalesOrder, SalesPage
from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document

SALES_PAGE = 180  # 2 + 180 × 5 points
REPLACEMENTS_PAGE = 100  # 2 + 100 × 9 points
_SALES, _REPLACEMENTS = "s", "r"


def sales_page(client: ShopifyClient, start: datetime, end: datetime, after: str | None) -> SalesPage:
    run, _, cursor = (after or f"{_SALES}:").partition(":")
    dates = f"created_at:>='{_iso(start)}' created_at:<'{_iso(end)}'"
    if run == _SALES:
        data = client.query(
            document("SalesOrders"),
            {"query": f"{dates} tag_not:{REPLACEMENT_TAG}", "first": SALES_PAGE, "after": cursor or None},
        )
        orders, next_run = data["orders"], _SALES
    else:
        data = client.query(
            document("ReplacementOrders"),
            {"query": f"{dates} tag:{REPLACEMENT_TAG}", "first": REPLACEMENTS_PAGE, "after": cursor or None},
        )
        orders, next_run = data["orders"], _REPLACEMENTS
    page = orders["pageInfo"]
    found = tuple(_order(node) for node in orders["nodes"])
    if page["hasNextPage"]:
        return SalesPage(found, f"{next_run}:{page['endCursor']}")
    return SalesPage(found, f"{_REPLACEMENTS}:" if run == _SALES else None)


def _order(node: dict[str, Any]) -> SalesOrder:
    return SalesOrder(
        name=node["name"],
        created_at=datetime.fromisoformat(node["createdAt"].replace("Z", "+00:00")),
        currency=node["currencyCode"],
        total=_amount(node.get("totalPriceSet")),
        refunded=_amount(node.get("totalRefundedSet")),
        list_value=_amount(node.get("subtotalPriceSet")) + _amount(node.get("totalDiscountsSet")),
        tags=tuple(node.get("tags") or ()),
        cancelled=node.get("cancelledAt") is not None,
    )


def _amount(bag: dict[str, Any] | None) -> Decimal:
    return Decimal(str(((bag or {}).get("shopMoney") or {}).get("amount") or "0"))


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
