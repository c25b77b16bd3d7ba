"""Page 1: the shipping label stuck on the parcel (A6 portrait).

Top to bottom: service and dates, sender (the customer) beside a QR code of the tracking URL, receiver
(the shop's return address) large, RMA and order numbers, and the tracking number as Code 128 with its
text. The receiver and the barcode get the most room: they are what sorting staff and scanners read.
Texts are English: the label is read by the carrier, the customer's language is on the slip.
"""

from __future__ import annotations

from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from domain.carrier import Parcel, ReturnShipmentRequest
from domain.orders import Address
from domain.vocabulary import Delivery
from integrations.labels import qr
from integrations.labels.layout import code128, draw_lines, fit
from integrations.labels.typeface import BOLD, REGULAR

WIDTH, HEIGHT = A6
MARGIN = 4 * mm
INNER = WIDTH - 2 * MARGIN
QR_SIZE = 30 * mm  # quiet zone included: ~0.8 mm modules for a 29×29 code, easy for phone cameras
BAR_HEIGHT = 22 * mm
CAPTION = 6.5  # the small grey field names


def service_line(request: ReturnShipmentRequest) -> str:
    if request.delivery == Delivery.PICKUP and request.pickup_date is not None:
        return f"Return — pickup {request.pickup_date.isoformat()}"
    return "Return — drop-off"


def weight_text(parcel: Parcel) -> str:
    text = f"{parcel.weight_grams / 1000:.2f} kg"
    if parcel.dimensions_cm:
        text += " · " + " × ".join(str(side) for side in parcel.dimensions_cm) + " cm"
    return text


def sender_lines(request: ReturnShipmentRequest) -> list[str]:
    lines = request.sender.lines()
    # The driver needs a phone for a pickup; on a drop-off label it would only expose personal data.
    phone = request.pickup_phone or request.sender.phone
    if request.delivery == Delivery.PICKUP and phone:
        lines.append(f"Tel. {phone}")
    return lines


def receiver_lines(address: Address) -> list[str]:
    lines = address.lines()
    if address.phone:
        lines.append(f"Tel. {address.phone}")
    return lines


def _caption(canvas: Canvas, text: str, x: float, y: float) -> None:
    canvas.setFont(REGULAR, CAPTION)
    canvas.setFillGray(0.35)
    canvas.drawString(x, y - CAPTION, text)
    canvas.setFillGray(0)


def _rule(canvas: Canvas, y: float) -> None:
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, y, WIDTH - MARGIN, y)


def draw(canvas: Canvas, request: ReturnShipmentRequest, *, tracking_number: str, qr_data: str, service: str) -> None:
    left, right = MARGIN, WIDTH - MARGIN
    y = HEIGHT - MARGIN

    # Service and when/what: what a counter clerk checks first.
    text, size = fit(service, BOLD, 12, INNER * 0.62, 8)
    canvas.setFont(BOLD, size)
    canvas.drawString(left, y - 12, text)
    canvas.setFont(REGULAR, 9)
    canvas.drawRightString(right, y - 11, request.created.isoformat())
    canvas.setFont(BOLD, 10)
    canvas.drawString(left, y - 26, service_line(request))
    canvas.setFont(REGULAR, 9)
    canvas.drawRightString(right, y - 25, weight_text(request.parcel))
    y -= 32
    _rule(canvas, y)

    # Sender (the customer) beside the QR code.
    qr.draw(canvas, qr_data, right - QR_SIZE, y - 2 - QR_SIZE, QR_SIZE)
    _caption(canvas, "FROM (sender)", left, y - 4)
    text_width = INNER - QR_SIZE - 2 * mm
    draw_lines(
        canvas, sender_lines(request), left, y - 12, text_width, REGULAR, 9, leading=10.5, max_lines=7, min_size=6.5
    )
    y -= QR_SIZE + 4
    _rule(canvas, y)

    # Receiver: the return address, large.
    _caption(canvas, "TO (receiver)", left, y - 4)
    draw_lines(
        canvas, receiver_lines(request.receiver), left, y - 13, INNER, BOLD, 14, leading=17, max_lines=6, min_size=8
    )

    # Tracking number at the bottom: Code 128, quiet zones of ≥ 10 modules, then the number in text.
    bar_y = MARGIN + 16
    code128(canvas, tracking_number, MARGIN + 8 * mm, bar_y, INNER - 16 * mm, BAR_HEIGHT, center=True)
    canvas.setFont(BOLD, 12)
    canvas.drawCentredString(WIDTH / 2, MARGIN + 3, tracking_number)
    y = bar_y + BAR_HEIGHT + 3 * mm
    _rule(canvas, y)

    # Just above it, the references the shop's warehouse looks up when the parcel arrives.
    y += 32
    _rule(canvas, y)
    half = INNER / 2
    for x, caption, value in ((left, "RMA", request.rma), (left + half, "ORDER", request.order_name)):
        _caption(canvas, caption, x, y - 4)
        text, size = fit(value, BOLD, 13, half - 3 * mm, 8)
        canvas.setFont(BOLD, size)
        canvas.drawString(x, y - 24, text)
