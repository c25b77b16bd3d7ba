"""Folding customer names to the words the name index holds: `Jānis Bērziņš` -> `janis berzins`.

The same function folds what an agent types, so search is case- and accent-insensitive on every
database without a database extension.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter plus a mark.
_SPECIAL = str.maketrans(
    {"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th",
     "Þ": "th", "ð": "d", "Ð": "d", "œ": "oe", "Œ": "oe", "ı": "i"}
)  # fmt: skip
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase ASCII words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NON_WORD.sub(" ", ascii_only).strip()


def words(text: str) -> list[str]:
    folded = fold(text)
    return folded.split() if folded else []


def words_start(folded_query: str, name: str) -> bool:
    """Whether every word of a folded query starts a word of `name`: how a name search matches one name."""
    have = words(name)
    return bool(have) and all(any(h.startswith(w) for h in have) for w in folded_query.split())
