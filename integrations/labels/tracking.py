"""Tracking numbers of the local carrier, in the UPU S10 shape: `RB123456785FI`.

Two letters of service indicator, an 8-digit serial, one check digit (S10 mod 11), the ISO country.

Uniqueness comes from the serial, which the caller takes from one shared source — a database sequence
or a unique row id — and never from process-local state: the number is a pure function of (service,
serial, country), so two bot instances can only collide if the database hands out a serial twice.

These are the bot's own numbers in the S10 layout (agents and customers recognise the shape, the check
digit catches typos); they are not issued by any postal operator.

The S10 check digit catches nearly all single-digit typos, not all: it maps the weighted-sum remainders
0 and 6 both to 5, so a typo that moves the remainder between those two still validates. It is a guard
against slips of the finger, not a lookup key: the database row is the truth.
"""

from __future__ import annotations

import re

SERIAL_DIGITS = 8
MAX_SERIAL = 10**SERIAL_DIGITS - 1
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_SHAPE = re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}")
_LETTERS = re.compile(r"[A-Z]{2}")


def check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial."""
    if len(serial) != SERIAL_DIGITS or not serial.isdigit():
        raise ValueError(f"an S10 serial has {SERIAL_DIGITS} digits, not {serial!r}")
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True)) % 11
    # S10: 10 → 0 and 11 → 5, so the check is always one digit.
    return {10: 0, 11: 5}.get(remainder, remainder)


def make(serial: int, *, service: str = "RB", country: str = "FI") -> str:
    """The tracking number for `serial` (1 … 99,999,999)."""
    if not 0 < serial <= MAX_SERIAL:
        raise ValueError(f"tracking serial must be 1…{MAX_SERIAL}, not {serial}")
    for what, value in (("service indicator", service), ("country", country)):
        if not _LETTERS.fullmatch(value):
            raise ValueError(f"{what} must be two capital letters, not {value!r}")
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    return f"{service}{digits}{check_digit(digits)}{country}"


def normalize(text: str) -> str:
    """What people type or paste (`rb 1234 5678 5 fi`) in canonical form; no validation."""
    return "".join(text.split()).upper()


def is_valid(tracking: str) -> bool:
    """Shape and check digit, after `normalize` (so spaces and lower case are accepted)."""
    value = normalize(tracking)
    if not _SHAPE.fullmatch(value):
        return False
    return check_digit(value[2:10]) == int(value[10])


def serial_of(tracking: str) -> int:
    """The serial a valid tracking number was made from."""
    if not is_valid(tracking):
        raise ValueError(f"not a valid tracking number: {tracking!r}")
    return int(normalize(tracking)[2:10])
