"""A modal's `private_metadata`: a small frozen dataclass, written as compact JSON.

Slack hands the metadata back with the submission, but it comes from the client, so it carries ids only
(an order id, a request id, where to report): everything decisive is read again from the store or the
database when the form is submitted. Slack refuses metadata over 3,000 characters.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Self

MAX_CHARS = 3000


class Metadata:
    """Mix into a `@dataclass(frozen=True)` whose fields are str, int or bool."""

    def to_json(self) -> str:
        text = json.dumps(dataclasses.asdict(self), separators=(",", ":"))  # type: ignore[call-overload]
        if len(text) > MAX_CHARS:
            raise ValueError(f"{type(self).__name__} metadata is {len(text)} characters, over Slack's {MAX_CHARS}")
        return text

    @classmethod
    def from_json(cls, text: str) -> Self:
        """The metadata back from a submission; ValueError when it is not what this modal wrote."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{cls.__name__}: metadata is not JSON") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__}: metadata is not an object")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            if field.name not in data:
                if field.default is not dataclasses.MISSING:
                    continue
                raise ValueError(f"{cls.__name__}: metadata lacks {field.name}")
            value = data[field.name]
            if not _is(value, hints[field.name]):
                raise ValueError(f"{cls.__name__}: {field.name} has the wrong type")
            values[field.name] = value
        return cls(**values)


def _is(value: Any, hint: Any) -> bool:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return any(_is(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:  # JSON has no separate bool: True is not an id
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)
