"""Order lookup: what an agent types to find an order, turned into one order or a short pick list.

Messages are plain words: the bot layer adds the Slack formatting and the command's own example."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from commands.errors import UserError
from commands.services import Services
from domain import phones
from domain.orders import Order, OrderQuery, OrderSummary, SearchKind
from domain.store import StoreError
from domain.text import fold

MAX_QUERY_LENGTH = 200
PICK_LIST_SIZE = 10
COUNT_CAP = 10_000  # a pick list counts the matches up to this many ("over 10,000" beyond)
DEFAULT_REGION = "FI"  # SHOP_COUNTRY's default: where a phone number without a country code is read

USAGE = (
    "Type an order number (#1001), an e-mail address, a customer name, a phone number (+358 40 123 4567) "
    "or a tracking number."
)

_ORDER_NUMBER = re.compile(r"#?\s*(\d{1,9})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TRACKING = re.compile(r"[A-Z0-9]{8,40}")
# what a phone number is written with: digits, a leading + (or the 00 that stands for it), spaces, - . / ( )
_PHONE_TEXT = re.compile(r"\+?[0-9\s\-./()]+")
_PHONE_INTENT = re.compile(r"[+(]")  # a number that starts so is meant as a phone number, whatever follows
_SEPARATED = re.compile(r"[0-9][\s\-./()]+[0-9]")
# digits alone, this many or more, may be a tracking number (DPD's are 14): a phone only if the plan has it
_AMBIGUOUS_DIGITS = 10


@dataclass(frozen=True)
class LookupResult:
    query: OrderQuery
    order: Order | None  # exactly one match
    matches: list[OrderSummary]  # several: at most PICK_LIST_SIZE, newest first
    more: bool = False  # there were more matches than the pick list shows
    total: int | None = None  # how many match in all when `more` (at most COUNT_CAP), if the store can count
    note: str | None = None  # why an order may exist although nothing matched

    @property
    def found(self) -> bool:
        return bool(self.order or self.matches)


def parse_query(text: str, region: str = DEFAULT_REGION) -> OrderQuery:
    """Classify the agent's text; a UserError says what to type instead. A phone number written without a
    country code is read as one of `region` (SHOP_COUNTRY)."""
    text = (text or "").strip()
    if not text:
        raise UserError(USAGE)
    if len(text) > MAX_QUERY_LENGTH:
        raise UserError(
            f"That search is {len(text):,} characters long. An order number, e-mail, name or tracking number "
            f"is at most {MAX_QUERY_LENGTH} characters."
        )
    if (m := _ORDER_NUMBER.fullmatch(text)) and not _national_phone(text):
        return OrderQuery(SearchKind.NUMBER, str(int(m.group(1))))
    if _EMAIL.fullmatch(text):
        return OrderQuery(SearchKind.EMAIL, text.lower())
    if (phone := _phone(text, region)) is not None:
        return OrderQuery(SearchKind.PHONE, phone)
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
        case SearchKind.PHONE:
            return f"phone number {query.value}"


def look_up(services: Services, text: str) -> LookupResult:
    query = parse_query(text, services.shop_country)
    store = services.store
    total = None
    with store_errors_as_user_errors():
        found = store.find_orders(query, limit=PICK_LIST_SIZE + 1)
        if len(found) == 1:
            order = store.get_order(found[0].ref.id)
            if order is not None:
                return LookupResult(query, order, [])
        more = len(found) > PICK_LIST_SIZE
        if more:
            total = store.count_orders(query, COUNT_CAP)
        note = None if found else store.visibility_note()
    return LookupResult(query, None, found[:PICK_LIST_SIZE], more=more, total=total, note=note)


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


def _national_phone(text: str) -> bool:
    """`0401234567`-like: digits alone that start with a trunk 0 and are long enough for a phone number (order
    numbers are written without leading zeros, or after a #)."""
    return text.startswith("0") and phones.digit_count(text) >= phones.MIN_DIGITS


def _phone(text: str, region: str) -> str | None:
    """The E.164 number `text` is, None when it is not written as a phone number; a UserError when it is meant
    as one (it starts with + or a parenthesis, or groups digits) but cannot be one."""
    written = text.lstrip("'")  # a spreadsheet's text marker, pasted along
    intent = bool(_PHONE_INTENT.match(written))
    if not _PHONE_TEXT.fullmatch(written):
        if intent and any(ch.isalpha() for ch in written):
            raise UserError(
                f"“{_quote(text)}” has letters in it: a phone number has only digits, with + ( ) - or spaces "
                "between them, like +358 40 123 4567."
            )
        return None
    digits = phones.digit_count(written)
    grouped = bool(_SEPARATED.search(written))
    if not (intent or grouped or _national_phone(written) or digits > 9):
        return None  # an order number (handled before) or a tracking number's digits
    international = written.startswith(("+", "00"))
    significant = digits - 2 if written.startswith("00") else digits
    if significant < phones.MIN_DIGITS:
        if intent or grouped:
            raise UserError(
                f"“{_quote(text)}” has {digits} digit{'s' if digits != 1 else ''}: a phone number has at least "
                f"{phones.MIN_DIGITS}. Type the whole number, like +358 40 123 4567."
            )
        return None
    if significant > phones.MAX_DIGITS + (0 if international else 1):  # + 1: a trunk 0
        if intent:
            raise UserError(
                f"“{_quote(text)}” has {digits} digits: a phone number has at most {phones.MAX_DIGITS} after its +."
            )
        return None  # a long tracking number
    number = phones.normalise(written, region)
    if not number:
        return None
    if not (intent or international) and digits >= _AMBIGUOUS_DIGITS and not phones.is_valid(number):
        return None  # a run of digits no numbering plan has: a tracking number, perhaps
    return number


def _quote(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
