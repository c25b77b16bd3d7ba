"""Page 2 (and more for long returns): the RMA slip that goes inside the parcel, in the customer's language.

It tells the warehouse what came back and why (order, RMA, items, reasons, an RMA barcode to scan on
arrival) and tells the customer how to send the parcel. Items that do not fit continue on another page
rather than being dropped: the warehouse checks the parcel against this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from domain.carrier import ReturnItem, ReturnShipmentRequest
from domain.vocabulary import Delivery
from integrations.labels.layout import code128, fit, wrap
from integrations.labels.texts import SlipTexts, format_date, reason_text, texts_for
from integrations.labels.typeface import BOLD, REGULAR

WIDTH: float
HEIGHT: float
WIDTH, HEIGHT = A6
MARGIN: float = 6 * mm
INNER = WIDTH - 2 * MARGIN
BODY = 8.0
SMALL = 7.0
LEADING = 1.22  # × font size
ROW = BODY * 1.45  # the order/RMA/tracking/date rows
INDENT = 4 * mm
BAR_HEIGHT = 9 * mm
MAX_NAME_LINES = 4  # a product name longer than this is cut: one item must never outgrow a page
# Fixed parts of every slip page, top and bottom; items fill what is left between them.
HEADER = 24 + 4 * ROW + 7 + 9 * LEADING + 2  # title, four rows, rule, "Items returned"
FOOTER: float = MARGIN + 10 + BAR_HEIGHT + 4 * mm  # the RMA barcode and its text
ITEM_GAP = 3


@dataclass(frozen=True, slots=True)
class _Line:
    font: str
    size: float
    text: str
    gutter: str = ""  # a step number, drawn left of the indented text
    indent: float = 0.0


@dataclass(frozen=True, slots=True)
class _Block:
    """Lines wrapped and measured before drawing, so that pages can be planned."""

    lines: list[_Line]

    @property
    def height(self) -> float:
        return sum(line.size * LEADING for line in self.lines)


def _item_block(item: ReturnItem, texts: SlipTexts) -> _Block:
    name = wrap(f"{item.quantity} × {item.name}", BOLD, BODY, INNER)
    if len(name) > MAX_NAME_LINES:
        name = [*name[: MAX_NAME_LINES - 1], fit(" ".join(name[MAX_NAME_LINES - 1 :]), BOLD, BODY, INNER, BODY)[0]]
    lines = [_Line(BOLD, BODY, line) for line in name]
    details = [f"{texts['sku']}: {item.sku}"] if item.sku else []
    if item.reason:
        details.append(f"{texts['reason']}: {reason_text(texts, item.reason)}")
    if details:
        lines += [
            _Line(REGULAR, SMALL, line, indent=INDENT)
            for line in wrap(" · ".join(details), REGULAR, SMALL, INNER - INDENT)
        ]
    return _Block(lines)


def _how_block(request: ReturnShipmentRequest, texts: SlipTexts) -> _Block:
    steps = list(texts["pack"])
    if request.delivery == Delivery.PICKUP and request.pickup_date is not None:
        last = texts["pickup"].format(date=format_date(texts, request.pickup_date))
        phone = request.pickup_phone or request.sender.phone
        if phone:
            last += " " + texts["pickup_phone"].format(phone=phone)
    else:
        last = texts["drop_off"]
    steps.append(last)
    lines = [_Line(BOLD, 9.0, texts["how"])]
    for n, step in enumerate(steps, 1):
        for i, line in enumerate(wrap(step, REGULAR, BODY, INNER - INDENT)):
            lines.append(_Line(REGULAR, BODY, line, gutter=f"{n}." if i == 0 else "", indent=INDENT))
    return _Block(lines)


def _draw_block(canvas: Canvas, block: _Block, y: float) -> float:
    for line in block.lines:
        canvas.setFont(line.font, line.size)
        if line.gutter:
            canvas.drawString(MARGIN, y - line.size, line.gutter)
        canvas.drawString(MARGIN + line.indent, y - line.size, line.text)
        y -= line.size * LEADING
    return y


def _header(canvas: Canvas, request: ReturnShipmentRequest, texts: SlipTexts, tracking: str, page: str) -> float:
    y = HEIGHT - MARGIN
    title, size = fit(texts["title"] + page, BOLD, 15, INNER, 10)
    canvas.setFont(BOLD, size)
    canvas.drawString(MARGIN, y - size, title)
    y -= 24
    rows = (
        (texts["order"], request.order_name),
        (texts["rma"], request.rma),
        (texts["tracking"], tracking),
        (texts["date"], format_date(texts, request.created)),
    )
    key_width = max(stringWidth(key, REGULAR, BODY) for key, _ in rows) + 3 * mm
    for key, value in rows:
        canvas.setFont(REGULAR, BODY)
        canvas.drawString(MARGIN, y - BODY, key)
        text, size = fit(value, BOLD, BODY, INNER - key_width, 6)
        canvas.setFont(BOLD, size)
        canvas.drawString(MARGIN + key_width, y - BODY, text)
        y -= ROW
    y -= 2
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, y, WIDTH - MARGIN, y)
    return y - 5


def _footer(canvas: Canvas, rma: str) -> float:
    """The RMA as Code 128 at the bottom, for the warehouse's scanner; returns the y above it."""
    code128(canvas, rma, MARGIN, MARGIN + 10, INNER * 0.6, BAR_HEIGHT, max_module=0.4 * mm)
    canvas.setFont(REGULAR, SMALL)
    canvas.drawString(MARGIN, MARGIN + 1, rma)
    return FOOTER


def draw(canvas: Canvas, request: ReturnShipmentRequest, *, tracking_number: str) -> None:
    """Draw the slip's pages; the caller has started the first one and calls showPage after."""
    texts = texts_for(request.language)
    how = _how_block(request, texts)
    items = [_item_block(item, texts) for item in request.items]
    pages = _plan(items, how)
    for n, page_items in enumerate(pages):
        if n:
            canvas.showPage()
        suffix = f" ({n + 1}/{len(pages)})" if len(pages) > 1 else ""
        y = _header(canvas, request, texts, tracking_number, suffix)
        canvas.setFont(BOLD, 9)
        canvas.drawString(MARGIN, y - 9, texts["items"])
        y -= 9 * LEADING + 2
        for block in page_items:
            y = _draw_block(canvas, block, y) - ITEM_GAP
        if n == len(pages) - 1:
            _draw_block(canvas, how, _footer(canvas, request.rma) + how.height)
        else:
            _footer(canvas, request.rma)


def _plan(items: list[_Block], how: _Block) -> list[list[_Block]]:
    """Split the items over pages; the last page also holds the instructions."""
    room = HEIGHT - MARGIN - HEADER - FOOTER
    pages: list[list[_Block]] = [[]]
    used = 0.0
    for block in items:
        need = block.height + ITEM_GAP
        if pages[-1] and used + need > room:
            pages.append([])
            used = 0.0
        pages[-1].append(block)
        used += need
    if used + how.height + 6 > room:
        pages.append([])
    return pages
