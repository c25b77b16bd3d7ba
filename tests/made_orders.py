"""The orders the bot made (replacements, exchanges) on either store, found as an agent would: by number.

The demo shop's orders are #1001–#1024, so an order the bot makes is numbered after them. Reading only those
numbers keeps the Shopify stand-in's cost bucket (which paces every order read, as Shopify does) out of the
tests' time."""

from __future__ import annotations

from domain.orders import Order, OrderQuery, SearchKind
from domain.store import Store

FIRST_MADE = 1025  # after the demo shop's 24 orders
LAST_MADE = 1039


def orders_tagged(store: Store, tag: str) -> list[Order]:
    made = []
    for number in range(FIRST_MADE, LAST_MADE + 1):
        found = store.find_orders(OrderQuery(SearchKind.NUMBER, str(number)), 1)
        order = store.get_order(found[0].ref.id) if found else None
        if order is not None and tag in order.tags:
            made.append(order)
    return made
