"""What goes to Shipit and what comes back: request bodies from our values, our values from its answers.

A customer return goes to `PUT /customer-return` with the addresses already reversed (sender = the customer,
receiver = the shop), our RMA as `reference`, weights in kilograms and sides in centimetres.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.carrier import Parcel, ReturnShipmentRequest, ServicePoint
from domain.orders import Address
from domain.vocabulary import Delivery, LabelStatus

PICKUP_READY, PICKUP_CLOSE = "09:00", "17:00"  # the carrier's usual day window: the customer is told the day

# Shipit's tracking event codes (and the words its carriers use) by what they mean for our label
_DELIVERED = ("delivered", "received", "returned_to_sender_delivered")
_MOVING = ("in_transit", "intransit", "picked_up", "pickedup", "accepted", "dropped_off", "at_terminal", "arrived",
           "departed", "out_for_delivery", "ready_for_pickup")  # fmt: skip


def party(address: Address, *, email: str = "", phone: str = "") -> dict[str, Any]:
    """One side of the shipment, as Shipit's party object (ISO-2 country)."""
    body: dict[str, Any] = {
        "name": address.name,
        "address": address.address1,
        "postcode": address.zip,
        "city": address.city,
        "country": address.country.strip().upper(),
        "phone": phone or address.phone,
        "email": email,
        "isCompany": bool(address.company),
    }
    if address.address2:
        body["address2"] = address.address2
    if address.company:
        body["contactPerson"], body["name"] = address.name, address.company
    if address.province:
        body["state"] = address.province
    return body


def parcel(p: Parcel) -> dict[str, Any]:
    body: dict[str, Any] = {"weight": round(p.weight_grams / 1000, 3), "copies": 1}
    if p.dimensions_cm is not None:
        body["length"], body["width"], body["height"] = p.dimensions_cm
    return body


def customer_return(request: ReturnShipmentRequest, service_id: str, shop_email: str) -> dict[str, Any]:
    """The body of `PUT /customer-return`."""
    contents = ", ".join(f"{i.quantity} x {i.name}" for i in request.items)[:255]
    body: dict[str, Any] = {
        "sender": party(request.sender, email=request.customer_email, phone=request.pickup_phone),
        "receiver": party(request.receiver, email=shop_email),
        "parcels": [parcel(request.parcel)],
        "serviceId": service_id,
        "reference": request.rma,
        "contents": contents or f"Return {request.rma}",
        "weightUnit": "kg",
        "dimensionUnit": "cm",
        "returnShipment": True,
        "sendOrderConfirmationEmail": False,  # the bot's own e-mail carries the label, in the customer's language
        "printType": "PDF",
        "freeText": f"Return {request.rma} of order {request.order_name}"[:100],
    }
    if request.delivery == Delivery.DROP_OFF and request.service_point_id:
        body["pickupId"] = request.service_point_id
    return body


def pick_up(tracking_number: str, day: date, request: ReturnShipmentRequest) -> dict[str, Any]:
    """The body of `POST /pick-ups`: the carrier collects the parcel at the customer's on `day`."""
    return {
        "trackingNumber": tracking_number,
        "date": day.isoformat(),
        "readyTime": PICKUP_READY,
        "closeTime": PICKUP_CLOSE,
        "instructions": f"Return parcel {request.rma}. Phone {request.pickup_phone or request.sender.phone}."[:255],
    }


def agents_query(address: Address, service_id: str, limit: int) -> dict[str, Any]:
    """The body of `POST /agents`: drop-off points for the service near the customer."""
    return {
        "postcode": address.zip.strip(),
        "country": address.country.strip().upper(),
        "city": address.city.strip(),
        "address": address.address1.strip(),
        "serviceId": [service_id],
        "type": "PICKUP",
        "limit": limit,
    }


def service_points(answer: Mapping[str, Any], limit: int) -> list[ServicePoint]:
    points = []
    for loc in answer.get("locations") or []:
        if not isinstance(loc, dict) or not loc.get("id"):
            continue
        distance = loc.get("distanceInMeters")
        points.append(
            ServicePoint(
                id=str(loc["id"]), name=str(loc.get("name") or ""), address1=str(loc.get("address1") or ""),
                zip=str(loc.get("zipcode") or ""), city=str(loc.get("city") or ""),
                country=str(loc.get("countryCode") or ""),
                distance_m=int(distance) if isinstance(distance, int | float) else None,
                opening_hours=_hours(loc.get("openingHours")),
            )
        )
    points.sort(key=lambda p: p.distance_m if p.distance_m is not None else 1 << 30)
    return points[:limit]


def _hours(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):  # [{"day": "Mon-Fri", "hours": "08-21"}, …] or plain lines
        parts = [" ".join(str(v) for v in h.values()) if isinstance(h, dict) else str(h) for h in value]
        return "; ".join(p for p in parts if p.strip())
    return ""


def tracking_status(answer: Mapping[str, Any], tracking_number: str) -> str:
    """The newest event of the parcel, as a LabelStatus (UNKNOWN when there is none yet)."""
    events = [e for e in (answer.get("events") or answer.get("data") or []) if isinstance(e, dict)]
    mine = [e for e in events if str(e.get("trackingNumber") or tracking_number) == tracking_number]
    if not mine:
        return LabelStatus.UNKNOWN
    codes = [str(e.get("status") or e.get("code") or "").strip().lower().replace(" ", "_") for e in mine]
    if any(code in _DELIVERED for code in codes):
        return LabelStatus.DELIVERED
    if any(code in _MOVING for code in codes):
        return LabelStatus.IN_TRANSIT
    return LabelStatus.UNKNOWN
