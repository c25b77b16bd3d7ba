"""Shopify's search syntax (shopify.dev/docs/api/usage/search-syntax) for `orders(query:)` and `customers(query:)`.

Terms are joined by an implied AND, or by `AND`/`OR`; `NOT term` and `-term` negate; parentheses group; values may
be quoted with ' or "; `field:>=value` compares. A bare term is the default free-text search: every word must be
the start of a word of the searched texts, ignoring case and accents. An unknown filter is ignored with a warning,
as Shopify does (it reports it in `extensions.search`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.shopify.standin.connections import SortKey
from integrations.shopify.standin.values import Node, fold, parse_iso

_COMPARATORS = (">=", "<=", ">", "<")
_SPECIAL = set(" \t\n():\\'\"")


@dataclass(frozen=True)
class Term:
    field: str | None  # None: the default free-text search
    value: str
    comparator: str = ":"


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class All:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Either:
    operands: tuple[Expr, ...]


Expr = Term | Not | All | Either


@dataclass
class SearchResult:
    matches: Callable[[Node], bool]
    warnings: list[dict[str, str]] = field(default_factory=list)


# --- parsing ----------------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[Any]:
    """Parentheses, connectives ("AND", "OR", "NOT") and Terms; `-term` becomes "NOT", term."""
    out: list[Any] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(ch)
            i += 1
        else:
            if ch == "-" and i + 1 < len(text) and not text[i + 1].isspace():
                out.append("NOT")
                i += 1
            term, i = _term(text, i)
            out.append(term)
    return out


def _term(text: str, i: int) -> tuple[Any, int]:
    name, i, quoted = _value(text, i)
    if not quoted and i < len(text) and text[i] == ":":
        i += 1
        comparator = ":"
        for candidate in _COMPARATORS:
            if text.startswith(candidate, i):
                comparator, i = candidate, i + len(candidate)
                break
        value, i, _ = _value(text, i)
        return Term(name.lower(), value, comparator), i
    if not quoted and name in ("AND", "OR", "NOT"):
        return name, i
    return Term(None, name), i


def _value(text: str, i: int) -> tuple[str, int, bool]:
    """A quoted string or a run of non-special characters (backslash escapes the next one)."""
    if i < len(text) and text[i] in "'\"":
        quote, chars, i = text[i], [], i + 1
        while i < len(text) and text[i] != quote:
            if text[i] == "\\" and i + 1 < len(text):
                i += 1
            chars.append(text[i])
            i += 1
        return "".join(chars), i + 1, True
    chars = []
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
        elif text[i] in _SPECIAL:
            break
        else:
            chars.append(text[i])
            i += 1
    return "".join(chars), i, False


class _Parser:
    def __init__(self, tokens: list[Any]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> Any:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> Any:
        token = self.peek()
        self.at += 1
        return token

    def expr(self) -> Expr:
        operands = [self.conjunction()]
        while self.peek() == "OR":
            self.take()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Either(tuple(operands))

    def conjunction(self) -> Expr:
        operands = [self.unary()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else All(tuple(operands))

    def unary(self) -> Expr:
        token = self.take()
        if token == "NOT":
            return Not(self.unary())
        if token == "(":
            inner = self.expr()
            if self.peek() == ")":
                self.take()
            return inner
        if isinstance(token, Term):
            return token
        return All(())  # a stray connective or parenthesis: matches everything, like an empty query


def parse_query(text: str | None) -> Expr:
    tokens = _tokens(text or "")
    return _Parser(tokens).expr() if tokens else All(())


# --- matching ---------------------------------------------------------------------------------------------------

Matcher = Callable[[Node, Term], bool]


def compile_query(text: str | None, filters: dict[str, Matcher], default: Matcher) -> SearchResult:
    result = SearchResult(matches=lambda _node: True)
    expr = parse_query(text)

    def evaluate(node: Node, e: Expr) -> bool:
        match e:
            case Term(field=None):
                return default(node, e)
            case Term():
                matcher = filters.get(e.field or "")
                return True if matcher is None else matcher(node, e)
            case Not(operand):
                return not evaluate(node, operand)
            case All(operands):
                return all(evaluate(node, o) for o in operands)
            case Either(operands):
                return any(evaluate(node, o) for o in operands)
        return True

    result.warnings = [
        {"field": t.field or "", "message": "Invalid search field for this query."}
        for t in _terms(expr)
        if t.field is not None and t.field not in filters and t.field != "default"
    ]
    result.matches = lambda node: evaluate(node, expr)
    return result


def _terms(e: Expr) -> list[Term]:
    match e:
        case Term():
            return [e]
        case Not(operand):
            return _terms(operand)
        case All(operands) | Either(operands):
            return [t for o in operands for t in _terms(o)]
    return []


def words_match(value: str, *texts: str | None) -> bool:
    """Every searched word starts a word of one of the texts (case- and accent-insensitive)."""
    wanted = fold(value).split()
    have = [w for t in texts if t for w in fold(t).split()]
    return all(any(h.startswith(w) for h in have) for w in wanted)


def _compare(have: Any, term: Term, want: Any) -> bool:
    match term.comparator:
        case ">":
            return bool(have > want)
        case ">=":
            return bool(have >= want)
        case "<":
            return bool(have < want)
        case "<=":
            return bool(have <= want)
    return bool(have == want)


def _number(node_value: Any, term: Term) -> bool:
    try:
        return _compare(Decimal(str(node_value)), term, Decimal(term.value))
    except InvalidOperation:
        return False


def _date(node_value: str | None, term: Term) -> bool:
    if node_value is None:
        return False
    have = parse_iso(node_value)
    try:
        want = parse_iso(term.value)
    except ValueError:
        return False
    if want.tzinfo is None:
        want = want.replace(tzinfo=UTC)
    if term.comparator == ":" and len(term.value) <= 10:
        return have.date() == want.date()
    return _compare(have, term, want)


def _same(a: str | None, b: str) -> bool:
    return (a or "").strip().lower() == b.strip().lower()


# --- orders -----------------------------------------------------------------------------------------------------


def _order_name(node: Node, term: Term) -> bool:
    name: str = node["name"]
    return name.lstrip("#").lower() == term.value.lstrip("#").lower()


def _order_customer_id(node: Node, term: Term) -> bool:
    customer = node.get("customer")
    return customer is not None and _number(customer["legacyResourceId"], term)


_FULFILLMENT_FILTER = {
    "unfulfilled": {"UNFULFILLED"},
    "unshipped": {"UNFULFILLED"},
    "shipped": {"FULFILLED"},
    "fulfilled": {"FULFILLED"},
    "partial": {"PARTIALLY_FULFILLED"},
    "scheduled": {"SCHEDULED"},
    "on_hold": {"ON_HOLD"},
    "request_declined": {"REQUEST_DECLINED"},
}


def _order_status(node: Node, term: Term) -> bool:
    cancelled = node["cancelledAt"] is not None
    match term.value.lower():
        case "open":
            return not node["closed"] and not cancelled
        case "closed":
            return bool(node["closed"])
        case "cancelled" | "canceled":
            return cancelled
        case "not_closed":
            return not node["closed"]
    return True  # "any"


def _order_default(node: Node, term: Term) -> bool:
    """The free-text search reads the order's name, e-mail, customer and the names on its addresses (a gift's
    recipient is found by the shipping name, as in the admin's order search)."""
    customer = node.get("customer")
    shipping, billing = node.get("shippingAddress") or {}, node.get("billingAddress") or {}
    return words_match(
        term.value, node["name"], node["email"], customer and customer["displayName"], shipping.get("name"),
        billing.get("name"),
    )  # fmt: skip


ORDER_FILTERS: dict[str, Matcher] = {
    "name": _order_name,
    "email": lambda n, t: _same(n["email"], t.value),
    "customer_id": _order_customer_id,
    "id": lambda n, t: _number(n["legacyResourceId"], t),
    "financial_status": lambda n, t: n["displayFinancialStatus"].lower() == t.value.lower(),
    "fulfillment_status": lambda n, t: n["displayFulfillmentStatus"] in _FULFILLMENT_FILTER.get(t.value.lower(), ()),
    "status": _order_status,
    "return_status": lambda n, t: n["returnStatus"].lower() == t.value.lower(),
    "tag": lambda n, t: any(_same(tag, t.value) for tag in n["tags"]),
    "tag_not": lambda n, t: not any(_same(tag, t.value) for tag in n["tags"]),
    "created_at": lambda n, t: _date(n["createdAt"], t),
    "processed_at": lambda n, t: _date(n["processedAt"], t),
    "updated_at": lambda n, t: _date(n["updatedAt"], t),
    "sku": lambda n, t: any(_same(li["sku"], t.value) for li in n["_lineItems"]),
    "gateway": lambda n, t: any(_same(g, t.value) for g in n["paymentGatewayNames"]),
    "test": lambda _n, t: t.value.lower() == "false",
    "default": _order_default,
}


def search_orders(text: str | None) -> SearchResult:
    return compile_query(text, ORDER_FILTERS, _order_default)


def _order_total(node: Node) -> float:
    return float(node["totalPriceSet"]["shopMoney"]["amount"])


ORDER_SORT_KEYS: dict[str, SortKey] = {
    "PROCESSED_AT": lambda n: (n["processedAt"], n["_position"]),
    "CREATED_AT": lambda n: (n["createdAt"], n["_position"]),
    "UPDATED_AT": lambda n: (n["updatedAt"], n["_position"]),
    "ORDER_NUMBER": lambda n: (n["number"], n["_position"]),
    "TOTAL_PRICE": lambda n: (_order_total(n), n["_position"]),
    "CURRENT_TOTAL_PRICE": lambda n: (float(n["currentTotalPriceSet"]["shopMoney"]["amount"]), n["_position"]),
    "CUSTOMER_NAME": lambda n: (fold(n["customer"]["displayName"]) if n.get("customer") else "", n["_position"]),
    "FINANCIAL_STATUS": lambda n: (n["displayFinancialStatus"], n["_position"]),
    "FULFILLMENT_STATUS": lambda n: (n["displayFulfillmentStatus"], n["_position"]),
}


def order_sort_key(sort_key: str | None) -> SortKey:
    return ORDER_SORT_KEYS.get(sort_key or "PROCESSED_AT", lambda n: (n["_position"],))


# --- customers --------------------------------------------------------------------------------------------------


def _customer_email(node: Node) -> str | None:
    address = node.get("defaultEmailAddress")
    return address["emailAddress"] if address else None


def _customer_default(node: Node, term: Term) -> bool:
    return words_match(term.value, node["firstName"], node["lastName"], node["displayName"], _customer_email(node))


def _customer_country(node: Node, term: Term) -> bool:
    address = node.get("defaultAddress")
    return address is not None and _same(address["countryCodeV2"], term.value)


def _customer_phone(node: Node, term: Term) -> bool:
    """Customers keep their number in E.164; `phone:+358401234567` (or without the +) is that number, `phone:*`
    any."""
    phone = node.get("defaultPhoneNumber")
    if phone is None:
        return False
    if term.value == "*":
        return True
    digits = "".join(c for c in term.value if c.isdigit())
    return bool(digits) and digits == "".join(c for c in phone["phoneNumber"] if c.isdigit())


CUSTOMER_FILTERS: dict[str, Matcher] = {
    "first_name": lambda n, t: words_match(t.value, n["firstName"]),
    "last_name": lambda n, t: words_match(t.value, n["lastName"]),
    "email": lambda n, t: _same(_customer_email(n), t.value),
    "phone": _customer_phone,
    "id": lambda n, t: _number(n["legacyResourceId"], t),
    "country": _customer_country,
    "orders_count": lambda n, t: _number(n["numberOfOrders"], t),
    "tag": lambda n, t: any(_same(tag, t.value) for tag in n["tags"]),
    "default": _customer_default,
}


def search_customers(text: str | None) -> SearchResult:
    return compile_query(text, CUSTOMER_FILTERS, _customer_default)


CUSTOMER_SORT_KEYS: dict[str, SortKey] = {
    "NAME": lambda n: (fold(n["displayName"]), n["_position"]),
    "CREATED_AT": lambda n: (n["createdAt"], n["_position"]),
    "UPDATED_AT": lambda n: (n["updatedAt"], n["_position"]),
}


def customer_sort_key(sort_key: str | None) -> SortKey:
    return CUSTOMER_SORT_KEYS.get(sort_key or "ID", lambda n: (n["_position"],))
