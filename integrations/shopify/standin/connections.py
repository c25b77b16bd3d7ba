"""Relay connections and lists the way Shopify pages them: cursors that carry the sort key, `first`/`after` and
`last`/`before` windows, `pageInfo`.

A connection field is a callable read when the field is resolved (`connection_of`), so a mutation that edits the
private `_…` list an object keeps is seen by the next query.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, get_named_type

from integrations.shopify.standin.values import Node

Key = tuple[Any, ...]  # a node's sort key, also what its cursor carries
SortKey = Callable[[Node], Key]


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return tuple(json.loads(base64.urlsafe_b64decode(padded.encode())))
    except (ValueError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}.") from exc


def paginate(
    items: Sequence[Node],
    info: GraphQLResolveInfo,
    *,
    key: SortKey,
    descending: bool = False,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Node:
    """A Relay connection over items already in presentation order; cursors carry the sort key."""
    after_key = decode_cursor(after) if after is not None else None
    before_key = decode_cursor(before) if before is not None else None

    def in_window(k: Key) -> bool:
        if after_key is not None and not (k < after_key if descending else k > after_key):
            return False
        return before_key is None or (k > before_key if descending else k < before_key)

    window = [(i, n) for i, n in enumerate(items) if in_window(key(n))]
    if first is not None:
        window = window[: max(first, 0)]
    if last is not None:
        window = window[max(len(window) - last, 0) :]
    page = [n for _, n in window]
    start = window[0][0] if window else 0
    end = window[-1][0] + 1 if window else 0
    cursors = [encode_cursor(key(n)) for n in page]
    return {
        "__typename": get_named_type(info.return_type).name,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, page, strict=True)],
        "nodes": list(page),
        "pageInfo": {
            "__typename": "PageInfo",
            "hasNextPage": bool(page) and end < len(items),
            "hasPreviousPage": bool(page) and start > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def page_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """The paging arguments of a connection field, None for the ones not given."""
    return {k: args.get(k) for k in ("first", "after", "last", "before")}


def by_position(node: Node) -> Key:
    return (node["_position"],)


def connection_of(owner: Node, private: str, key: SortKey = by_position) -> Callable[..., Node]:
    """A connection field over `owner[private]`, read when the field is resolved."""

    def resolve(info: GraphQLResolveInfo, reverse: bool = False, **args: Any) -> Node:
        items = sorted(owner[private], key=key, reverse=reverse)
        return paginate(items, info, key=key, descending=reverse, **page_args(args))

    return resolve


def list_of(owner: Node, private: str) -> Callable[..., list[Node]]:
    """A list field with an optional `first` (Order.fulfillments, Order.transactions, …)."""

    def resolve(_info: GraphQLResolveInfo, first: int | None = None, **_args: Any) -> list[Node]:
        items = list(owner[private])
        return items if first is None else items[:first]

    return resolve
