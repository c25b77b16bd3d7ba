"""The words every layer shares about returns and customers, each defined once."""

from __future__ import annotations

import enum


class Delivery(enum.StrEnum):
    """How a return parcel leaves the customer."""

    DROP_OFF = "drop_off"  # the customer takes it to a parcel point
    PICKUP = "pickup"  # the carrier collects it

    @classmethod
    def parse(cls, text: str) -> Delivery:
        value = (text or "").strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        if value == "dropoff":
            return cls.DROP_OFF
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown delivery method {text!r} (expected 'drop_off' or 'pickup')") from None


class LabelStatus(enum.StrEnum):
    """A label's life: created → voided | in_transit → delivered. UNKNOWN is a carrier's "no news":
    a status poller keeps the status it has recorded."""

    UNKNOWN = "unknown"
    CREATED = "created"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    VOIDED = "voided"


class ReturnStatus(enum.StrEnum):
    """A return case's life: requested → label_created → in_transit → received → resolved, or cancelled,
    expired (the parcel never came)."""

    REQUESTED = "requested"
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """Still on its way back: the items are spoken for and the case shows in `/returns`."""
        return self in (ReturnStatus.REQUESTED, ReturnStatus.LABEL_CREATED, ReturnStatus.IN_TRANSIT)


OPEN_RETURN_STATUSES: tuple[ReturnStatus, ...] = tuple(s for s in ReturnStatus if s.is_open)

# Languages the customer-facing texts (RMA slip, e-mail) are written in; anything else falls back to en.
LANGUAGES: tuple[str, ...] = ("en", "fi", "et", "lv", "lt", "da", "sv")
DEFAULT_LANGUAGE = "en"

# Where the order carries no usable locale, the shipping country is the next best guess. Åland (AX)
# is Swedish-speaking; Danish is read on the Faroe Islands and in Greenland.
_COUNTRY_LANGUAGE = {
    "FI": "fi",
    "AX": "sv",
    "EE": "et",
    "LV": "lv",
    "LT": "lt",
    "DK": "da",
    "FO": "da",
    "GL": "da",
    "SE": "sv",
}


def language_for(locale: str, country: str) -> str:
    """The language to write to a customer in: the order's locale first, else the shipping country.

    The locale wins because it is what the customer chose (a Swedish speaker in Finland orders with
    "sv-FI"). A locale we have no texts for ("de-DE") means the customer reads neither the shop's
    language nor necessarily the country's, so English is the safer choice than the country's language.
    """
    primary = (locale or "").strip().replace("_", "-").split("-")[0].lower()
    if primary:
        # Shopify and browsers still send legacy codes for some of our languages.
        primary = {"dk": "da", "se": "sv", "ee": "et"}.get(primary, primary)
        return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
    return _COUNTRY_LANGUAGE.get((country or "").strip().upper(), DEFAULT_LANGUAGE)


def known_language(language: str) -> str:
    """`language` when we have texts in it, else the default."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE
