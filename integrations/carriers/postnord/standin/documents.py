"""What the fake PostNord hands out: item ids (SSCC-style, as PostNord allocates for itemId "0"), label PDFs,
QR codes for label-less drop-off, and the service points near an address."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from integrations.carriers.postnord import codes

COMPANY_PREFIX = "37350045"  # extension digit 3 + a GS1 company prefix, as PostNord's own SSCCs start


def sscc(serial: int) -> str:
    """An 18-digit SSCC with its GS1 check digit, prefixed with the application identifier 00 (20 digits)."""
    body = f"{COMPANY_PREFIX}{serial:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return f"00{body}{(10 - total % 10) % 10}"


def qr_code_data(item_id: str) -> str:
    """The code the customer shows at the service point instead of a printed label."""
    return f"PNRET{item_id[-10:]}"


def label_pdf(item_id: str, service: str, shipment: Mapping[str, Any]) -> bytes:
    """A PostNord-like return label (190 × 105 mm) on an A4 page: service, item id as a barcode, both parties."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"PostNord label {item_id}")
    left, top = 10 * mm, A4[1] - 10 * mm
    canvas.rect(left, top - 105 * mm, 190 * mm, 105 * mm)
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(left + 5 * mm, top - 10 * mm, codes.SERVICE_NAMES.get(service, f"Service {service}"))
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(left + 185 * mm, top - 10 * mm, "TEST LABEL - fake PostNord, not valid for shipping")
    for column, role in ((0, "consignor"), (95, "consignee")):
        party = ((shipment.get("parties") or {}).get(role) or {}).get("party") or {}
        address = party.get("address") or {}
        lines = [
            "From" if role == "consignor" else "To",
            str((party.get("nameIdentification") or {}).get("name") or ""),
            *[str(s) for s in address.get("streets") or []],
            f"{address.get('postalCode', '')} {address.get('city', '')}",
            str(address.get("countryCode") or ""),
        ]
        text = canvas.beginText(left + (5 + column) * mm, top - 20 * mm)
        text.setFont("Helvetica", 9)
        for line in lines:
            text.textLine(line)
        canvas.drawText(text)
    # drawn straight onto the canvas: a barcode Drawing (one validated shape per bar) takes ~20 ms a label, which
    # the benchmarks would count as the carrier's answer coming late
    Code128(item_id, barHeight=18 * mm, humanReadable=True).drawOn(canvas, left + 5 * mm, top - 95 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


_PLACES = {
    "SE": ("ICA Nära", "Coop", "PostNord Parcel Box", "Pressbyrån", "Circle K"),
    "FI": ("K-Market", "S-market", "PostNord Parcel Box", "R-kioski", "Neste"),
    "DK": ("Netto", "Coop 365", "PostNord Pakkeboks", "7-Eleven", "Circle K"),
    "NO": ("Kiwi", "Coop Extra", "PostNord Pakkeboks", "Narvesen", "Circle K"),
}
_ELSEWHERE = ("Parcel Shop", "PostNord Parcel Box", "Service Point", "Kiosk", "Petrol Station")


def service_points(country: str, postal_code: str, city: str, street: str, count: int) -> list[dict[str, Any]]:
    """`count` service points near the address, nearest first, in PostNord's v5 shape."""
    town = (city or "Centrum").strip().title()
    points = []
    for i in range(count):
        places = _PLACES.get(country, _ELSEWHERE)
        name = places[i % len(places)]
        points.append({
            "servicePointId": f"{country}{postal_code or '0'}{i + 1:02d}",
            "name": f"{name} {town}",
            "routeDistance": 350 + 450 * i,
            "visitingAddress": {"countryCode": country, "city": town.upper(), "streetName": street or "Storgatan",
                                "streetNumber": str(10 + i), "postalCode": postal_code, "addressType": "VISITING"},
            "openingHours": {"postalServices": [
                *({"openDay": day, "openTime": "08:00", "closeTime": "21:00"}
                  for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")),
                {"openDay": "SATURDAY", "openTime": "10:00", "closeTime": "18:00"},
            ]},
            "type": {"typeId": 25 if country == "SE" else 38, "typeName": "Servicepoint"},
        })  # fmt: skip
    return points
