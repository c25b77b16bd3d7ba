"""Order lookup: what an agent types to find an order, turned into one order or a short pick list.

Messages are plain words: the bot layer adds the Slack formatting and the command's own example."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from commands.errors import UserError
from commands.services import Services
from domain.orders import Order, OrderQuery, OrderSummary, SearchKind
from domain.store import StoreError
from domain.text import fold

MAX_QUERY_LENGTH = 200
PICK_LIST_SIZE = 10

USAGE = "Type an order number (#1001), an e-mail address, a customer name or a tracking number."

_ORDER_NUMBER = re.compile(r"#?\s*(\d{1,9})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TRACKING = re.compile(r"[A-Z0-9]{8,40}")


@dataclass(frozen=True)
class LookupResult:
    query: OrderQuery
    order: Order | None  # exactly one match
    matches: list[OrderSummary]  # several: at most PICK_LIST_SIZE, newest first
    more: bool = False  # there were more matches than the pick list shows
    note: str | None = None  # why an order may exist although nothing matched

    @property
    def found(self) -> bool:
        return bool(self.order or self.matches)


def parse_query(text: str) -> OrderQuery:
    """Classify the agent's text; a UserError says what to type instead."""
    text = (text or "").strip()
    if not text:
        raise UserError(USAGE)
    if len(text) > MAX_QUERY_LENGTH:
        raise UserError(
            f"That search is {len(text):,} characters long. An order number, e-mail, name or tracking number "
            f"is at most {MAX_QUERY_LENGTH} characters."
        )
    if m := _ORDER_NUMBER.fullmatch(text):
        return OrderQuery(SearchKind.NUMBER, str(int(m.group(1))))
    if _EMAIL.fullmatch(text):
        return OrderQuery(SearchKind.EMAIL, text.lower())
    compact = re.sub(r"[\s-]", "", text).upper()
    if _TRACKING.fullmatch(compact) and sum(ch.isdigit() for ch in compact) >= 4:
        return OrderQuery(SearchKind.TRACKING, compact)
    words = fold(text)
    if not words:
        raise UserError(f"There is nothing to search for in “{_quote(text)}”. {USAGE}")
    return OrderQuery(SearchKind.NAME, words)


def describe(query: OrderQuery) -> str:
    """What was searched, in words: used when nothing matched and above pick lists."""
    match query.kind:
        case SearchKind.NUMBER:
            return f"order number #{query.value}"
        case SearchKind.EMAIL:
            return f"e-mail {query.value}"
        case SearchKind.TRACKING:
            return f"tracking number {query.value}"
        case SearchKind.NAME:
            return f"customer name “{query.value}”"


def look_up(services: Services, text: str) -> LookupResult:
    query = parse_query(text)
    store = services.store
    with store_errors_as_user_errors():
        found = store.find_orders(query, limit=PICK_LIST_SIZE + 1)
        if len(found) == 1:
            order = store.get_order(found[0].ref.id)
            if order is not None:
                return LookupResult(query, order, [])
        note = None if found else store.visibility_note()
    return LookupResult(query, None, found[:PICK_LIST_SIZE], more=len(found) > PICK_LIST_SIZE, note=note)


def single_order(services: Services, text: str) -> Order:
    """The one order `text` names, for commands that act on an order; several or none is a UserError."""
    result = look_up(services, text)
    if result.order is not None:
        return result.order
    if result.matches:
        names = ", ".join(m.ref.name for m in result.matches)
        raise UserError(f"Several orders match {describe(result.query)} ({names}): use the order number.")
    raise UserError(no_match_message(result, services.store.name))


def get_order(services: Services, order_id: str) -> Order:
    with store_errors_as_user_errors():
        order = services.store.get_order(order_id)
    if order is None:
        raise UserError("That order is no longer in the store.")
    return order


def no_match_message(result: LookupResult, store_label: str) -> str:
    note = f" {result.note}" if result.note else ""
    return f"No order found for {describe(result.query)} in {store_label}.{note} {USAGE}"


@contextmanager
def store_errors_as_user_errors() -> Iterator[None]:
    """A store's failure, already worded for an agent, reaches them as it is."""
    try:
        yield
    except StoreError as exc:
        raise UserError(str(exc)) from exc


def _quote(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
