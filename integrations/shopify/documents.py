"""Every GraphQL document the bot sends, loaded from `graphql/*.graphql` (one operation per file).

Keeping them as files in one folder lets the tests validate each against the pinned Admin schema: a
document that does not validate can never ship.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).with_name("graphql")
FRAGMENTS_FILE = "fragments.graphql"

_OPERATION = re.compile(r"^\s*(query|mutation)\s+([A-Za-z_]\w*)", re.MULTILINE)
_FRAGMENT = re.compile(r"^fragment\s+(\w+)\s+on\s+\w+\s*\{.*?^\}", re.MULTILINE | re.DOTALL)
_SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Document:
    name: str
    kind: str  # "query" | "mutation"
    text: str  # the operation with the fragments it spreads appended

    @property
    def is_mutation(self) -> bool:
        return self.kind == "mutation"


@cache
def _fragments() -> dict[str, str]:
    path = FOLDER / FRAGMENTS_FILE
    return {m.group(1): m.group(0) for m in _FRAGMENT.finditer(path.read_text())} if path.exists() else {}


def _with_fragments(text: str) -> str:
    needed: list[str] = []
    pending = _SPREAD.findall(text)
    while pending:
        name = pending.pop()
        if name in needed or name not in _fragments():
            continue
        needed.append(name)
        pending.extend(_SPREAD.findall(_fragments()[name]))
    return text.rstrip() + "".join("\n\n" + _fragments()[n] for n in sorted(needed)) + "\n"


@cache
def all_documents() -> dict[str, Document]:
    documents = {}
    for path in sorted(FOLDER.glob("*.graphql")):
        if path.name == FRAGMENTS_FILE:
            continue
        text = path.read_text()
        match = _OPERATION.search(text)
        if match is None or match.group(2) != path.stem:
            raise ValueError(f"{path.name} must hold one operation named {path.stem}")
        documents[path.stem] = Document(name=path.stem, kind=match.group(1), text=_with_fragments(text))
    return documents


def document(name: str) -> Document:
    return all_documents()[name]
