"""The fake PostNord's reading of an EDI instruction: what PostNord's Booking API documents as required, and the
business rules it applies. Two kinds of finding:

- a *problem* is a request PostNord's schema refuses (a required field missing, a wrong unit or id type, a
  return whose addresses are not reversed): always a bug of ours, so the fake records it and tests fail;
- a *fault* is a request PostNord refuses on its merits (a postcode that does not exist, a pickup on a Sunday,
  a parcel too heavy): what an agent may well cause, answered as PostNord answers it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from integrations.carriers.postnord import codes

_COUNTRY = re.compile(r"[A-Z]{2}")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
# Where PostNord carries parcels from (its service-point countries): anything else is refused
SERVICE_COUNTRIES = frozenset({
    "SE", "NO", "FI", "DK", "DE", "BE", "NL", "LU", "EE", "LV", "LT", "AT", "FR", "ES", "AX", "PL", "PT", "CZ", "IE",
    "SK", "SI",
})  # fmt: skip


@dataclass(frozen=True)
class Fault:
    param: str
    value: str
    text: str
    code: str = "API-005"

    def json(self) -> dict[str, Any]:
        return {"faultCode": self.code, "explanationText": self.text,
                "paramValues": [{"param": self.param, "value": self.value}]}  # fmt: skip


@dataclass
class Reading:
    problems: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)


@dataclass(frozen=True)
class Agreement:
    """The shop's agreement as the fake knows it."""

    customer_number: str
    issuer_codes: frozenset[str]  # the issuer codes the customer number is valid with
    return_postal_code: str | None = None  # the shop's return address: every return must go there


def read_instruction(body: Any, *, services: frozenset[str], agreement: Agreement, today: date) -> Reading:
    """Everything wrong with `body` as an EDI instruction for one of `services` (basicServiceCode)."""
    reading = Reading()
    problem = reading.problems.append
    if not isinstance(body, Mapping):
        problem("the body is not an EDI instruction object")
        return reading
    if not _STAMP.fullmatch(str(body.get("messageDate") or "")):
        problem("messageDate is required, as an ISO 8601 date-time")
    if body.get("updateIndicator") not in ("Original", "Update", "Deletion"):
        problem("updateIndicator is required: Original, Update or Deletion")
    if body.get("messageFunction", "Instruction") != "Instruction":
        problem(f"messageFunction {body.get('messageFunction')!r} is not an instruction")
    application = body.get("application")
    if application is not None and not (isinstance(application, Mapping) and application.get("name")):
        problem("application.name is required when application is given")
    shipments = body.get("shipment")
    if not isinstance(shipments, list) or not 1 <= len(shipments) <= 200:
        problem("shipment must hold 1 to 200 shipments")
        return reading
    for index, shipment in enumerate(shipments):
        _shipment(reading, f"shipment[{index}]", shipment, services, agreement, today)
    return reading


def _shipment(
    reading: Reading, at: str, shipment: Any, services: frozenset[str], agreement: Agreement, today: date
) -> None:
    problem, fault = reading.problems.append, reading.faults.append
    if not isinstance(shipment, Mapping):
        problem(f"{at} is not an object")
        return
    service = str(_get(shipment, "service", "basicServiceCode") or "")
    if not service:
        problem(f"{at}.service.basicServiceCode is required")
    elif service not in services:
        fault(Fault(f"{at}.service.basicServiceCode", service,
                    f"Basic service code {service} is not valid for this request"))  # fmt: skip
    packages = _get(shipment, "numberOfPackages", "value")
    if packages is not None and not (isinstance(packages, int) and packages >= 1):
        problem(f"{at}.numberOfPackages.value must be a positive integer")
    grams = _weight(reading, f"{at}.totalGrossWeight", shipment.get("totalGrossWeight"))
    if grams is not None and service in codes.MAX_GRAMS and grams > codes.MAX_GRAMS[service]:
        most = codes.MAX_GRAMS[service] // 1000
        fault(Fault(f"{at}.totalGrossWeight", f"{grams / 1000:g}",
                    f"Gross weight exceeds the maximum of {most} kg for the service"))  # fmt: skip
    for i, ref in enumerate(shipment.get("references") or []):
        if not (isinstance(ref, Mapping) and ref.get("referenceNo") and ref.get("referenceType")):
            problem(f"{at}.references[{i}] needs referenceNo and referenceType")
    parties = shipment.get("parties")
    if not isinstance(parties, Mapping):
        problem(f"{at}.parties is required")
        return
    consignor, consignee = parties.get("consignor"), parties.get("consignee")
    _consignor(reading, f"{at}.parties.consignor", consignor, agreement)
    if not isinstance(consignee, Mapping):
        problem(f"{at}.parties.consignee is required for a return: the shop's return address")
    else:
        _party(reading, f"{at}.parties.consignee.party", consignee.get("party"))
        shop_code = _get(consignee, "party", "address", "postalCode")
        if agreement.return_postal_code is not None and shop_code != agreement.return_postal_code:
            problem(f"{at}.parties.consignee is not the shop's return address (postal code {shop_code!r}): "
                    "a return goes from the customer (consignor) to the shop (consignee)")  # fmt: skip
    same = _get(consignor, "party", "address") == _get(consignee, "party", "address")
    if isinstance(consignor, Mapping) and isinstance(consignee, Mapping) and same:
        problem(f"{at}: consignor and consignee have the same address")
    if service == codes.RETURN_PICKUP:
        _pickup(reading, at, shipment, consignor, today)
    goods = shipment.get("goodsItem")
    if not isinstance(goods, list) or not goods:
        problem(f"{at}.goodsItem is required")
        return
    for g, item in enumerate(goods):
        items = item.get("items") if isinstance(item, Mapping) else None
        if not isinstance(items, list) or not items:
            problem(f"{at}.goodsItem[{g}].items is required")
            continue
        for i, one in enumerate(items):
            if not _get(one, "itemIdentification", "itemId"):
                problem(f"{at}.goodsItem[{g}].items[{i}].itemIdentification.itemId is required")
            if isinstance(one, Mapping) and one.get("grossWeight") is not None:
                _weight(reading, f"{at}.goodsItem[{g}].items[{i}].grossWeight", one.get("grossWeight"))
            for side in ("height", "width", "length"):
                dimension = _get(one, "dimensions", side)
                if dimension is not None and (not isinstance(dimension, Mapping)
                                              or dimension.get("unit", "CMT") not in ("MTR", "DTM", "DMT", "CMT")):
                    problem(f"{at}.goodsItem[{g}].items[{i}].dimensions.{side} needs a unit: MTR, DTM, CMT")


def _consignor(reading: Reading, at: str, consignor: Any, agreement: Agreement) -> None:
    problem, fault = reading.problems.append, reading.faults.append
    if not isinstance(consignor, Mapping):
        problem(f"{at} is required")
        return
    issuer = consignor.get("issuerCode")
    if issuer not in codes.ISSUER_CODES:
        problem(f"{at}.issuerCode is required: one of {', '.join(codes.ISSUER_CODES)}")
    identification = consignor.get("partyIdentification")
    if not isinstance(identification, Mapping) or not identification.get("partyId"):
        problem(f"{at}.partyIdentification.partyId is required (the customer number)")
    elif identification.get("partyIdType") != codes.CUSTOMER_NUMBER_TYPE:
        problem(f"{at}.partyIdentification.partyIdType must be 160 (customer number)")
    elif identification["partyId"] != agreement.customer_number or issuer not in agreement.issuer_codes:
        fault(Fault(f"{at}.partyIdentification.partyId", str(identification["partyId"]),
                    f"Customer number {identification['partyId']} is not valid for issuer code {issuer}"))  # fmt: skip
    _party(reading, f"{at}.party", consignor.get("party"))


def _party(reading: Reading, at: str, party: Any) -> None:
    problem, fault = reading.problems.append, reading.faults.append
    if not isinstance(party, Mapping):
        problem(f"{at} is required")
        return
    if not _get(party, "nameIdentification", "name"):
        problem(f"{at}.nameIdentification.name is required")
    address = party.get("address")
    if not isinstance(address, Mapping):
        problem(f"{at}.address is required")
        return
    streets = address.get("streets")
    if streets is not None and not (isinstance(streets, list) and all(isinstance(s, str) for s in streets)):
        problem(f"{at}.address.streets must be a list of strings")
    country = str(address.get("countryCode") or "")
    if not _COUNTRY.fullmatch(country):
        problem(f"{at}.address.countryCode is required as an ISO 3166 alpha-2 code, not {country!r}")
        return
    if country not in SERVICE_COUNTRIES:
        fault(Fault(f"{at}.address.countryCode", country, f"Country code {country} is not served"))
    for name in ("postalCode", "city"):
        if not str(address.get(name) or "").strip():
            problem(f"{at}.address.{name} is required")
    postal_code = str(address.get("postalCode") or "")
    pattern = codes.POSTAL_CODES.get(country)
    if postal_code and pattern is not None and not pattern.fullmatch(postal_code):
        text = f"Invalid postal code {postal_code} for country {country}"
        fault(Fault(f"{at}.address.postalCode", postal_code, text))


def _pickup(reading: Reading, at: str, shipment: Mapping[str, Any], consignor: Any, today: date) -> None:
    fault = reading.faults.append
    earliest = str(_get(shipment, "dateAndTimes", "earliestPickupDate") or "")
    if not earliest:
        fault(Fault(f"{at}.dateAndTimes.earliestPickupDate", "", "A pickup needs an earliest pickup date"))
    else:
        try:
            day = datetime.fromisoformat(earliest.replace("Z", "+00:00")).date()
        except ValueError:
            reading.problems.append(f"{at}.dateAndTimes.earliestPickupDate is not an ISO 8601 date-time")
        else:
            if day < today:
                fault(Fault(f"{at}.dateAndTimes.earliestPickupDate", earliest, "The pickup date has passed"))
            elif day.weekday() >= 5:
                fault(Fault(f"{at}.dateAndTimes.earliestPickupDate", earliest, "No pickups on Saturdays and Sundays"))
    contact = _get(consignor, "party", "contact")
    if not (isinstance(contact, Mapping) and (contact.get("phoneNo") or contact.get("smsNo"))):
        fault(Fault(f"{at}.parties.consignor.party.contact.phoneNo", "", "A pickup needs the consignor's phone number"))


def _weight(reading: Reading, at: str, weight: Any) -> int | None:
    """The weight in grams, or None (with the problem recorded) when it is not a PostNord weight."""
    if weight is None:
        return None
    if not isinstance(weight, Mapping) or weight.get("unit") not in codes.WEIGHT_UNITS:
        reading.problems.append(f"{at} needs a unit: KGM, GRM or TON")
        return None
    value = weight.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        reading.problems.append(f"{at}.value must be a positive number, not {value!r}")
        return None
    return round(value * codes.WEIGHT_UNITS[weight["unit"]])


def _get(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node
