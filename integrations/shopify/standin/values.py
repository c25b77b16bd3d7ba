"""Small values as Shopify's Admin GraphQL API writes them: money, times, global ids, searchable words, names.

Objects are plain dicts keyed by schema field names (`Node`); see integrations/shopify/standin/data.py.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.money import Money
from integrations.shopify.standin.schema import load_schema

Node = dict[str, Any]

LOCATION_GID = "gid://shopify/Location/1"
_ID_BASES = {
    "Customer": 2_000_000,
    "LineItem": 3_000_000,
    "Fulfillment": 4_000_000,
    "FulfillmentLineItem": 5_000_000,
    "OrderTransaction": 6_000_000,
    "Refund": 7_000_000,
    "FulfillmentOrder": 8_000_000,
    "FulfillmentOrderLineItem": 9_000_000,
    "ProductVariant": 10_000_000,
    "Product": 11_000_000,
    "MailingAddress": 12_000_000,
}


# --- scalars ----------------------------------------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """Shopify's Decimal scalar as it comes over the wire: "289.0", "29.9", "0.0" (not "289.00")."""
    if value == 0:
        return "0.0"
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def money_v2(money: Money) -> Node:
    return {"__typename": "MoneyV2", "amount": decimal_text(money.amount), "currencyCode": money.currency}


def money_bag(money: Money) -> Node:
    """Shop and presentment money are the same: the fake's shops sell in one currency per order."""
    return {"__typename": "MoneyBag", "shopMoney": money_v2(money), "presentmentMoney": money_v2(money)}


def enum_or_none(enum_name: str, value: str) -> str | None:
    enum = load_schema().type_map[enum_name]
    return value if value in enum.values else None  # type: ignore[attr-defined]


# --- ids --------------------------------------------------------------------------------------------------------


def gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def legacy_id(global_id: str) -> int | None:
    tail = global_id.rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


class Ids:
    """The next id of each kind of object, counting up from a base of its own."""

    def __init__(self) -> None:
        self._next = dict(_ID_BASES)

    def new(self, kind: str) -> tuple[str, int]:
        self._next[kind] += 1
        return gid(kind, self._next[kind]), self._next[kind]


# --- words and names --------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Case- and accent-insensitive words, the way Shopify's search matches them."""
    special = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "Ł": "l"})
    decomposed = unicodedata.normalize("NFKD", text.translate(special))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def split_name(name: str) -> tuple[str | None, str | None]:
    """First and last name as Shopify keeps them: the last word is the last name."""
    name = name.strip()
    if not name:
        return None, None
    if " " not in name:
        return name, None
    first, last = name.rsplit(" ", 1)
    return first, last


def gateway_handle(payment_method: str) -> str:
    """A payment gateway's handle, as transactions and `paymentGatewayNames` give it: "paypal_express"."""
    return fold(payment_method).replace(" ", "_") or "manual"
