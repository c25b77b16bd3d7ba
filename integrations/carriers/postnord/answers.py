"""What PostNord answers, read into our values: labels, tracking statuses, service points, and its faults
turned into CarrierErrors an agent can act on (with form fields where the fault is about the customer's input).

PostNord reports a refused request as an `errorResponse` (`message` + `compositeFault.faults[]`, each with an
`explanationText`, a `faultCode` and `paramValues` naming the parameter), either as the body of a 4xx answer or
inside a 200 answer's `bookingResponse.idInformation[]` with status FAIL.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.carrier import CarrierError, ServicePoint
from domain.vocabulary import LabelStatus
from integrations.carriers.postnord import codes


@dataclass(frozen=True)
class Booked:
    """A booking PostNord confirmed: its item id (our tracking number), shipment id, link and printouts."""

    item_id: str
    shipment_id: str
    tracking_url: str
    pdf: bytes
    qr_code: str


@dataclass(frozen=True)
class Fault:
    text: str
    code: str
    params: tuple[tuple[str, str], ...]


# -- faults -----------------------------------------------------------------------------------------------------


def faults(body: Any) -> list[Fault]:
    """Every fault in an error body, a booking answer, or a Track and Trace answer."""
    found: list[Fault] = []
    for error in _error_bodies(body):
        composite = error.get("compositeFault") if isinstance(error, Mapping) else None
        listed = composite.get("faults") if isinstance(composite, Mapping) else None
        for fault in listed if isinstance(listed, list) else []:
            if not isinstance(fault, Mapping):
                continue
            params = tuple(
                (str(p.get("param", "")), str(p.get("value", "")))
                for p in fault.get("paramValues") or []
                if isinstance(p, Mapping)
            )
            found.append(Fault(str(fault.get("explanationText") or ""), str(fault.get("faultCode") or ""), params))
        if not found and isinstance(error, Mapping) and error.get("message"):
            found.append(Fault(str(error["message"]), "", ()))
    return found


def _error_bodies(body: Any) -> Iterable[Any]:
    if not isinstance(body, Mapping):
        return []
    bodies: list[Any] = []
    if "compositeFault" in body or "message" in body:
        bodies.append(body)
    if isinstance(body.get("errorResponse"), Mapping):
        bodies.append(body["errorResponse"])
    booking = body.get("bookingResponse")
    for info in (booking.get("idInformation") or []) if isinstance(booking, Mapping) else []:
        if isinstance(info, Mapping) and isinstance(info.get("errorResponse"), Mapping):
            bodies.append(info["errorResponse"])
    tracking = body.get("TrackingInformationResponse")
    if isinstance(tracking, Mapping) and isinstance(tracking.get("compositeFault"), Mapping):
        bodies.append(tracking)
    return bodies


def refused(body: Any, *, what: str = "the return") -> CarrierError:
    """The CarrierError for a request PostNord refused (HTTP 400, or a booking with status FAIL).

    Faults about the customer's address, the pickup day, the phone number or the weight become form fields;
    faults about our own set-up name the setting to fix. Never retryable: the same request fails again."""
    fields: dict[str, str] = {}
    setup: list[str] = []
    other: list[str] = []
    for fault in faults(body):
        field, words = _explain(fault)
        if field == "setup":
            setup.append(words)
        elif field:
            fields.setdefault(field, words)
        else:
            other.append(words)
    if setup:
        return CarrierError(f"PostNord refused {what}: {' '.join(dict.fromkeys(setup))}")
    if fields:  # each field's words stand alone (the form shows them by the field): the message is all of them
        return CarrierError(" ".join(fields.values()), fields=fields)
    detail = "; ".join(dict.fromkeys(o for o in other if o)) or "no reason given"
    return CarrierError(f"PostNord refused {what} ({detail}). Check the return's details and try again.")


def _explain(fault: Fault) -> tuple[str, str]:
    """(form field or "setup" or "", what to tell the agent) for one fault."""
    names = " ".join(p for p, _ in fault.params).lower()
    value = next((v for _, v in fault.params if v), "")
    said = fault.text.rstrip(".") if fault.text else ""
    about = f"{names} {said.lower()}"
    shown = f" “{value}”" if value else ""
    if "consignee" in about:
        return "setup", (
            f"it does not accept the shop's return address ({said}). "
            "Ask an administrator to check the RETURN_ADDRESS_* settings."
        )
    if "partyid" in about or "customer number" in about or "issuercode" in about or "issuer code" in about:
        return "setup", (
            f"it does not accept the shop's PostNord agreement ({said}). "
            "Ask an administrator to check POSTNORD_CUSTOMER_NUMBER and POSTNORD_ISSUER_CODE."
        )
    if "basicservicecode" in about or "service code" in about:
        return "setup", f"the service is not part of the shop's PostNord agreement ({said})."
    if "postalcode" in about or "postal code" in about:
        return "address", f"PostNord does not accept the postcode{shown} ({said}). Check the customer's address."
    if "countrycode" in about or "country" in about:
        return "address", f"PostNord does not collect returns from the country{shown} ({said})."
    if any(word in about for word in ("street", "city", "address", "name")):
        return "address", f"PostNord does not accept the customer's address ({said}). Check it."
    if "pickupdate" in about or "pickup date" in about or "loadingdate" in about:
        return "pickup_date", f"PostNord cannot collect on that day ({said}). Choose another working day."
    if "phone" in about or "smsno" in about:
        return "pickup_phone", f"PostNord needs a phone number the driver can call ({said})."
    if "weight" in about:
        return "weight", f"PostNord does not take this parcel's weight{shown} ({said})."
    return "", said


# -- bookings ---------------------------------------------------------------------------------------------------


def booked(body: Any, country: str) -> Booked:
    """The booking in a label answer; raises CarrierError when PostNord refused it or answered in a shape we
    cannot read."""
    if not isinstance(body, Mapping):
        raise CarrierError("PostNord answered the booking in a shape the bot cannot read. Try again later.")
    booking = body.get("bookingResponse")
    infos = booking.get("idInformation") if isinstance(booking, Mapping) else None
    if not isinstance(infos, list) or not infos or not isinstance(infos[0], Mapping):
        if faults(body):
            raise refused(body)
        raise CarrierError("PostNord answered the booking without a tracking number. Try again later.")
    info = infos[0]
    if str(info.get("status", "OK")).upper() != "OK":
        raise refused(body)
    ids = {str(i.get("idType")): str(i.get("value")) for i in info.get("ids") or [] if isinstance(i, Mapping)}
    item_id = ids.get("itemId", "")
    if not item_id:
        raise CarrierError("PostNord answered the booking without a tracking number. Try again later.")
    urls = {str(u.get("type")).upper(): str(u.get("url")) for u in info.get("urls") or [] if isinstance(u, Mapping)}
    tracking_url = urls.get("TRACKING") or codes.tracking_page(item_id, country)
    pdf, qr_code = printouts(body.get("labelPrintout"))
    return Booked(item_id, ids.get("shipmentId", ""), tracking_url, pdf, qr_code)


def confirmed(body: Any) -> None:
    """Raises the CarrierError for a booking (or a validation: testIndicator) PostNord did not accept."""
    booking = body.get("bookingResponse", body) if isinstance(body, Mapping) else None
    infos = booking.get("idInformation") if isinstance(booking, Mapping) else None
    failed = [i for i in infos or [] if isinstance(i, Mapping) and str(i.get("status", "OK")).upper() != "OK"]
    if failed or not isinstance(infos, list):
        raise refused(body, what="the check")


def printouts(listed: Any) -> tuple[bytes, str]:
    """(the label PDF, the QR code's data) from `labelPrintout[]`; empty when PostNord sent none."""
    pdf, qr_code = b"", ""
    for entry in listed if isinstance(listed, list) else []:
        printout = entry.get("printout") if isinstance(entry, Mapping) else None
        if not isinstance(printout, Mapping):
            continue
        kind = str(printout.get("type") or "LABEL").upper()
        if kind == "QRCODE":
            qr_code = qr_code or str(printout.get("dataValue") or "")
        elif kind == "LABEL" and str(printout.get("labelFormat") or "PDF").upper() == "PDF" and not pdf:
            pdf = _decoded(printout)
    return pdf, qr_code


def _decoded(printout: Mapping[str, Any]) -> bytes:
    data = str(printout.get("data") or "")
    try:
        pdf = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise CarrierError("PostNord sent a label the bot cannot read. Try again later.") from None
    if not pdf.startswith(b"%PDF"):
        raise CarrierError("PostNord sent a label that is not a PDF. Try again later.")
    return pdf


# -- Track and Trace --------------------------------------------------------------------------------------------


def shipments(body: Any) -> list[Mapping[str, Any]]:
    tracking = body.get("TrackingInformationResponse") if isinstance(body, Mapping) else None
    listed = tracking.get("shipments") if isinstance(tracking, Mapping) else None
    return [s for s in listed if isinstance(s, Mapping)] if isinstance(listed, list) else []


def label_status(body: Any, item_id: str) -> str:
    """Our LabelStatus for the item; UNKNOWN when PostNord knows nothing of it yet (no shipments)."""
    for shipment in shipments(body):
        items = [i for i in shipment.get("items") or [] if isinstance(i, Mapping)]
        mine = [i for i in items if str(i.get("itemId", "")) == item_id] or items
        status = str((mine[0].get("status") if mine else None) or shipment.get("status") or "")
        return codes.ITEM_STATUSES.get(status.upper(), LabelStatus.UNKNOWN)
    return LabelStatus.UNKNOWN


def found_item(body: Any, reference: str) -> tuple[str, str, str] | None:
    """(item id, shipment id, service code) of the shipment whose customer reference is `reference`, or None."""
    for shipment in shipments(body):
        refs = {str(r.get("value", r.get("referenceNo", ""))) for r in shipment.get("shipmentReferences") or []
                if isinstance(r, Mapping)}  # fmt: skip
        if refs and reference not in refs:
            continue
        items = [i for i in shipment.get("items") or [] if isinstance(i, Mapping) and i.get("itemId")]
        service = shipment.get("service")
        code = str(service.get("code") or "") if isinstance(service, Mapping) else ""
        if items:
            return str(items[0]["itemId"]), str(shipment.get("shipmentId") or ""), code
    return None


# -- service points ---------------------------------------------------------------------------------------------

_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_SHORT = {day: day[:1] + day[1:3].lower() for day in _DAYS}


def service_points(body: Any, limit: int) -> list[ServicePoint]:
    answer = body.get("servicePointInformationResponse") if isinstance(body, Mapping) else None
    listed = answer.get("servicePoints") if isinstance(answer, Mapping) else None
    points: list[ServicePoint] = []
    for point in listed if isinstance(listed, list) else []:
        if not isinstance(point, Mapping) or not point.get("servicePointId"):
            continue
        where = point.get("visitingAddress") or point.get("deliveryAddress") or {}
        street = " ".join(str(where.get(k) or "").strip() for k in ("streetName", "streetNumber")).strip()
        distance = point.get("routeDistance")
        points.append(
            ServicePoint(
                id=str(point["servicePointId"]),
                name=str(point.get("name") or "").strip(),
                address1=street,
                zip=str(where.get("postalCode") or ""),
                city=str(where.get("city") or "").strip().title(),
                country=str(where.get("countryCode") or "").upper(),
                distance_m=int(distance) if isinstance(distance, int | float) else None,
                opening_hours=opening_hours(point.get("openingHours")),
            )
        )
    points.sort(key=lambda p: p.distance_m if p.distance_m is not None else 1 << 30)
    return points[:limit]


def opening_hours(hours: Any) -> str:
    """"Mon–Fri 08:00–20:00, Sat 10:00–16:00": days with the same hours run together."""
    listed = hours.get("postalServices") if isinstance(hours, Mapping) else None
    by_day: dict[str, str] = {}
    for entry in listed if isinstance(listed, list) else []:
        if isinstance(entry, Mapping) and str(entry.get("openDay", "")).upper() in _SHORT:
            by_day[str(entry["openDay"]).upper()] = f"{entry.get('openTime', '')}–{entry.get('closeTime', '')}"
    runs: list[tuple[str, str, str]] = []  # (first day, last day, hours)
    for day in _DAYS:
        if day not in by_day:
            continue
        index = _DAYS.index(day)
        if runs and runs[-1][2] == by_day[day] and _DAYS.index(runs[-1][1]) == index - 1:
            runs[-1] = (runs[-1][0], day, by_day[day])
        else:
            runs.append((day, day, by_day[day]))
    return ", ".join(
        f"{_SHORT[a]}{'' if a == b else '–' + _SHORT[b]} {span}" for a, b, span in runs
    )
