"""What an agent types after /order, classified; bad input answered in words."""

from __future__ import annotations

import pytest

from commands.errors import UserError
from commands.lookup import describe, parse_query
from domain.orders import OrderQuery, SearchKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#1001", OrderQuery(SearchKind.NUMBER, "1001")),
        ("1001", OrderQuery(SearchKind.NUMBER, "1001")),
        ("  # 0042 ", OrderQuery(SearchKind.NUMBER, "42")),
        ("Janis.Berzins@Example.com", OrderQuery(SearchKind.EMAIL, "janis.berzins@example.com")),
        ("jani berz", OrderQuery(SearchKind.NAME, "jani berz")),
        ("JĀNIS Bērziņš", OrderQuery(SearchKind.NAME, "janis berzins")),
        ("Søren Ærø", OrderQuery(SearchKind.NAME, "soren aero")),
        ("JJFI 6012 3400 0123 4567", OrderQuery(SearchKind.TRACKING, "JJFI6012340001234567")),
        ("00370712345678901234", OrderQuery(SearchKind.TRACKING, "00370712345678901234")),
        ("ee123456789ee", OrderQuery(SearchKind.TRACKING, "EE123456789EE")),
        ("O'Connor", OrderQuery(SearchKind.NAME, "o connor")),
    ],
)
def test_queries_are_classified(text: str, expected: OrderQuery) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_query_explains_what_to_type(text: str) -> None:
    with pytest.raises(UserError, match="order number"):
        parse_query(text)


def test_overlong_query_is_refused_with_its_length() -> None:
    with pytest.raises(UserError, match="10,000 characters"):
        parse_query("x" * 10_000)


@pytest.mark.parametrize("text", ["%", "_", "'", "%_'", "🙂", "🙂🙂🙂", "''; --"])
def test_nothing_searchable_is_said_so(text: str) -> None:
    with pytest.raises(UserError, match="nothing to search for"):
        parse_query(text)


def test_metacharacters_around_words_are_dropped() -> None:
    assert parse_query("%jan_is'") == OrderQuery(SearchKind.NAME, "jan is")


def test_descriptions_say_what_was_searched() -> None:
    assert describe(OrderQuery(SearchKind.NUMBER, "1001")) == "order number #1001"
    assert describe(OrderQuery(SearchKind.NAME, "jani berz")) == "customer name “jani berz”"
    assert describe(OrderQuery(SearchKind.TRACKING, "JJ123")) == "tracking number JJ123"
    assert describe(OrderQuery(SearchKind.EMAIL, "a@b.c")) == "e-mail a@b.c"
