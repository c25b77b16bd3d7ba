"""Phone numbers as search keys: whatever way a number is written, one E.164 text (`+358401234567`).

`+358 40 123 4567`, `040 123 4567` (read in the shop's country), `00358 40 123 4567`, `358401234567` and the
spreadsheet's `'+358401234567` are one number. The export's numbers and what an agent types go through the same
function, so they meet even where the library cannot tell whether a number exists.

The library is imported where it is used: its metadata takes a sixth of a second to load, which a command that
never reads a phone number (`returnbot --help`) should not pay.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_DIGITS = 6  # fewer is no phone number anyone can be found by
MAX_DIGITS = 15  # E.164's longest

_FORMATTING = re.compile(r"[\s\-./()\u00a0]+")
_INTERNATIONAL = re.compile(r"\+[0-9]{7,15}")


def digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


@lru_cache(maxsize=65_536)
def normalise(text: str, region: str) -> str:
    """The number in E.164, read in `region` (ISO 3166-1 alpha-2) when written without a country code;
    "" when it is no phone number at all.

    A number already written internationally, with nothing a national trunk prefix could be cut from, is only
    stripped of its formatting: the library's full parse costs some 45 µs, and an import reads three numbers an
    order."""
    cleaned = text.strip().lstrip("'").strip()
    if not cleaned:
        return ""
    compact = _FORMATTING.sub("", cleaned)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _INTERNATIONAL.fullmatch(compact) and _plain(compact):
        return compact
    return _parsed(cleaned, region.upper())


def is_valid(e164: str) -> bool:
    """Whether an E.164 number (from `normalise`) is one the numbering plan of its country has."""
    import phonenumbers

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False


def _parsed(text: str, region: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        # `46701234567` typed in a Finnish shop is a Swedish number without its plus
        try:
            international = phonenumbers.parse("+" + "".join(ch for ch in text if ch.isdigit()), None)
        except phonenumbers.NumberParseException:
            international = None
        if international is not None and phonenumbers.is_valid_number(international):
            number = international
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _plain(compact: str) -> bool:
    """Whether `+<digits>` is already E.164: its country code is known and the rest does not start with what
    that country's numbers drop after the country code (Finland's trunk 0 in `+358 040 ...`)."""
    for length in (1, 2, 3):
        pattern = _trunk_pattern(compact[1 : 1 + length])
        if pattern is not None:
            return pattern.match(compact[1 + length :]) is None
    return False


_NO_TRUNK = re.compile(r"(?!)")  # a country whose numbers drop nothing: never matches


@lru_cache(maxsize=1024)
def _trunk_pattern(code: str) -> re.Pattern[str] | None:
    """What numbers of country calling code `code` drop after it; None when no country has that code."""
    import phonenumbers

    if int(code) not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        return None
    region = phonenumbers.region_code_for_country_code(int(code))
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(int(code), region)
    pattern = metadata and (metadata.national_prefix_for_parsing or metadata.national_prefix)
    return re.compile(pattern) if pattern else _NO_TRUNK
