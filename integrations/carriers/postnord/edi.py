"""The EDI instruction PostNord books a return from: our ReturnShipmentRequest in PostNord's words.

Addresses are reversed as for any return: the customer is the consignor (who hands the parcel over), the
shop's return address the consignee. The consignor also carries the shop's customer number and issuer code,
because the agreement that pays for the return is the shop's. Our RMA goes along as the shipment's customer
reference (type CU), which is what `find_shipment` searches Track and Trace by.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from domain.carrier import Parcel, ReturnShipmentRequest
from domain.orders import Address
from domain.vocabulary import Delivery
from integrations.carriers.postnord import codes

APPLICATION = {"name": "returnbot", "version": "0.1"}
# A pickup is asked for within working hours of the chosen day.
PICKUP_FROM = time(9, 0)
PICKUP_UNTIL = time(17, 0)


def service_code(delivery: Delivery) -> str:
    return codes.RETURN_PICKUP if delivery == Delivery.PICKUP else codes.RETURN_DROP_OFF


def kilograms(parcel: Parcel) -> float:
    """The weight in kilograms with gram precision, as a JSON number (PostNord's unit KGM)."""
    return float(Decimal(parcel.weight_grams) / 1000)


def instruction(
    request: ReturnShipmentRequest,
    *,
    customer_number: str,
    issuer_code: str,
    now: datetime,
    test: bool = False,
) -> dict[str, Any]:
    """The EDI instruction for one return parcel (`test`: PostNord only validates it, nothing is booked)."""
    service = service_code(request.delivery)
    weight = {"value": kilograms(request.parcel), "unit": "KGM"}
    item: dict[str, Any] = {"itemIdentification": {"itemId": "0"}, "grossWeight": weight}  # "0": PostNord numbers it
    if request.parcel.dimensions_cm is not None:
        length, width, height = request.parcel.dimensions_cm
        item["dimensions"] = {
            "length": {"value": length, "unit": "CMT"},
            "width": {"value": width, "unit": "CMT"},
            "height": {"value": height, "unit": "CMT"},
        }
    consignor: dict[str, Any] = {
        "issuerCode": issuer_code,
        "partyIdentification": {"partyId": customer_number, "partyIdType": codes.CUSTOMER_NUMBER_TYPE},
        "party": _party(request.sender, email=request.customer_email, phone=request.pickup_phone),
    }
    parties: dict[str, Any] = {"consignor": consignor, "consignee": {"party": _party(request.receiver)}}
    if request.service_point_id and request.delivery == Delivery.DROP_OFF:
        # partyIdType 156: a service point id; the parcel is handed in there
        parties["deliveryParty"] = {"partyIdentification": {"partyId": request.service_point_id, "partyIdType": "156"}}
    dates: dict[str, str] = {"loadingDate": _stamp(datetime.combine(request.created, PICKUP_FROM))}
    if request.delivery == Delivery.PICKUP and request.pickup_date is not None:
        dates["earliestPickupDate"] = _stamp(datetime.combine(request.pickup_date, PICKUP_FROM))
        dates["latestPickupDate"] = _stamp(datetime.combine(request.pickup_date, PICKUP_UNTIL))
    shipment = {
        "shipmentIdentification": {"shipmentId": "0"},
        "dateAndTimes": dates,
        "service": {"basicServiceCode": service, "additionalServiceCode": []},
        "numberOfPackages": {"value": 1},
        "totalGrossWeight": weight,
        "references": [{"referenceNo": request.rma, "referenceType": codes.REFERENCE_TYPE}],
        "parties": parties,
        "goodsItem": [
            {
                "packageTypeCode": codes.PARCEL,
                "marking": f"{request.order_name} {request.rma}".strip(),
                "goodsDescription": _contents(request),
                "items": [item],
            }
        ],
    }
    return {
        "messageDate": _message_date(now),
        "messageFunction": "Instruction",
        # the same return always sends the same message id, so a repeat is recognisable as one
        "messageId": f"returnbot-{request.rma}",
        "application": APPLICATION,
        "updateIndicator": "Original",
        "testIndicator": test,
        "shipment": [shipment],
    }


def _party(address: Address, *, email: str = "", phone: str = "") -> dict[str, Any]:
    country = address.country.strip().upper()
    streets = [s.strip() for s in (address.address1, address.address2) if s.strip()]
    name: dict[str, str] = {"name": address.name.strip() or address.company.strip()}
    if address.company.strip() and address.name.strip():
        name["companyName"] = address.company.strip()
    contact: dict[str, str] = {"contactName": address.name.strip() or address.company.strip()}
    number = (phone or address.phone).strip()
    if number:
        contact["phoneNo"] = number
        contact["smsNo"] = number
    if email.strip():
        contact["emailAddress"] = email.strip()
    return {
        "nameIdentification": name,
        "address": {
            "streets": streets,
            "postalCode": codes.postal_code(address.zip, country),
            "city": address.city.strip(),
            "countryCode": country,
        },
        "contact": contact,
    }


def _contents(request: ReturnShipmentRequest) -> str:
    names = ", ".join(f"{item.quantity} × {item.name}" for item in request.items)
    return names[:70] or "Return"


def _message_date(now: datetime) -> str:
    """When the message was made, in UTC when the clock says its zone (PostNord's examples end in Z)."""
    if now.tzinfo is None:
        return _stamp(now)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(moment: datetime) -> str:
    """PostNord's date-time: ISO 8601 to the second, without a zone (local time of the parties)."""
    return moment.replace(microsecond=0, tzinfo=None).isoformat()
