"""PostNord's codes and addresses, as its Booking, Track and Trace and Service Points APIs document them.

Everything here is PostNord's vocabulary: the adapter translates it into ours (carrier.py, answers.py) and the
fake PostNord (standin/) checks requests against the same tables, so the two cannot drift apart.
"""

from __future__ import annotations

import re

from domain.vocabulary import LabelStatus

PRODUCTION_URL = "https://api2.postnord.com"
SANDBOX_URL = "https://atapi2.postnord.com"  # PostNord's test host: same API, test data, no real parcels

# Booking: a Return Drop Off is booked on the returns endpoint (which can also hand out a QR code for
# label-less drop-off); a Return Pickup is an ordinary EDI instruction with the pickup service.
RETURN_LABEL_PATH = "/rest/shipment/v3/returns/edi/labels/pdf"
EDI_LABEL_PATH = "/rest/shipment/v3/edi/labels/pdf"
RETURN_EDI_PATH = "/rest/shipment/v3/returns/edi"  # booking without labels; with testIndicator it only validates
EDI_PATH = "/rest/shipment/v3/edi"
LABELS_BY_ID_PATH = "/rest/shipment/v3/labels/ids/pdf"  # the label of an item booked before
TRACKING_PATH = "/rest/shipment/v5/trackandtrace/findByIdentifier.json"
BY_REFERENCE_PATH = "/rest/shipment/v7/trackandtrace/customernumber/{customer}/reference/{reference}/public"
SERVICE_POINTS_PATH = "/rest/businesslocation/v5/servicepoints/nearest/byaddress"
TRACKING_PAGE = "https://tracking.postnord.com/{country}/?id={id}"  # PostNord's public page, per Nordic country

# basicServiceCode
RETURN_DROP_OFF = "24"
RETURN_PICKUP = "20"
SERVICE_NAMES = {RETURN_DROP_OFF: "PostNord Return Drop Off", RETURN_PICKUP: "PostNord Return Pickup"}

# The consignor's issuerCode names the PostNord company the customer number (the agreement) is with.
ISSUER_BY_COUNTRY = {"DK": "Z11", "SE": "Z12", "NO": "Z13", "FI": "Z14"}
ISSUER_CODES = (*ISSUER_BY_COUNTRY.values(), "ZDL")  # ZDL: Direct Link, by separate agreement
CUSTOMER_NUMBER_TYPE = "160"  # partyIdType: the partyId is a PostNord customer number
REFERENCE_TYPE = "CU"  # referenceType: the customer's own reference (our RMA)
WEIGHT_UNITS = {"KGM": 1000, "GRM": 1, "TON": 1_000_000}  # grams per unit
PARCEL = "PC"  # packageTypeCode

# Where PostNord collects and delivers returns; postal codes as PostNord wants them (no spaces, no prefix).
POSTAL_CODES = {
    "SE": re.compile(r"\d{5}"),
    "FI": re.compile(r"\d{5}"),
    "AX": re.compile(r"22\d{3}"),
    "DK": re.compile(r"\d{4}"),
    "NO": re.compile(r"\d{4}"),
}
# The heaviest parcel each service takes (grams): a parcel point takes up to 20 kg, a driver up to 35 kg.
MAX_GRAMS = {RETURN_DROP_OFF: 20_000, RETURN_PICKUP: 35_000}

# Track and Trace item statuses → a label's life. A return parcel "available for delivery" waits at the
# shop's parcel point: still on its way. RETURNED / REFUSED / STOPPED turn it back to the customer, which is
# no step of ours: no news (UNKNOWN) leaves the bot's record as it is.
ITEM_STATUSES: dict[str, LabelStatus] = {
    "CREATED": LabelStatus.UNKNOWN,  # the EDI arrived, no parcel yet
    "INFORMED": LabelStatus.UNKNOWN,
    "EN_ROUTE": LabelStatus.IN_TRANSIT,
    "DELAYED": LabelStatus.IN_TRANSIT,
    "EXPECTED_DELAY": LabelStatus.IN_TRANSIT,
    "AVAILABLE_FOR_DELIVERY": LabelStatus.IN_TRANSIT,
    "AVAILABLE_FOR_DELIVERY_PAR_LOC": LabelStatus.IN_TRANSIT,
    "DELIVERY_IMPOSSIBLE": LabelStatus.IN_TRANSIT,
    "OTHER": LabelStatus.UNKNOWN,
    "DELIVERED": LabelStatus.DELIVERED,
    "DELIVERY_REFUSED": LabelStatus.UNKNOWN,
    "RETURNED": LabelStatus.UNKNOWN,
    "STOPPED": LabelStatus.UNKNOWN,
}


def postal_code(text: str, country: str = "") -> str:
    """A postal code as PostNord wants it: no spaces, no country prefix ("SE-114 59" → "11459")."""
    code = re.sub(r"\s+", "", text or "").upper()
    prefix = f"{country.upper()}-"
    if country and code.startswith(prefix):
        code = code[len(prefix) :]
    return code


def issuer_for(country: str) -> str:
    """The issuer code of the PostNord company in `country` (the shop's), Sweden's for any other."""
    return ISSUER_BY_COUNTRY.get(country.strip().upper(), ISSUER_BY_COUNTRY["SE"])


def tracking_page(item_id: str, country: str) -> str:
    """PostNord's public tracking page of an item, on the site of `country` (the shop's), Sweden's for others."""
    site = country.strip().upper() if country.strip().upper() in ISSUER_BY_COUNTRY else "SE"
    return TRACKING_PAGE.format(country=site.lower(), id=item_id)
