"""The return label PDF: page 1 the A6 shipping label, page 2 the RMA slip for inside the parcel.

Pure function of its inputs: the canvas is `invariant` (no creation time, fixed document id), so the
same return gives the same bytes — tests can compare, and a retry can tell an identical re-render.
Pages are compressed and ReportLab embeds only the glyphs used: a typical label is about 15 KB.
"""

from __future__ import annotations

import io

from reportlab import rl_config
from reportlab.lib.pagesizes import A6
from reportlab.pdfgen.canvas import Canvas

from domain.carrier import ReturnShipmentRequest
from integrations.labels import page_label, page_slip, typeface


def render_label_pdf(
    request: ReturnShipmentRequest,
    *,
    tracking_number: str,
    tracking_url: str,
    service: str,
) -> bytes:
    """Both pages as PDF bytes. The QR code holds the tracking URL, or the RMA when there is no URL."""
    typeface.register()
    with typeface.in_use:
        return _render(request, tracking_number=tracking_number, tracking_url=tracking_url, service=service)


def _render(request: ReturnShipmentRequest, *, tracking_number: str, tracking_url: str, service: str) -> bytes:
    # ReportLab wraps compressed streams in ASCII85 by default, a 7-bit-mail habit: +25 % size and a slow
    # pure-Python encoder. Labels travel as Slack files and base64 MIME parts, so binary streams are fine.
    # It is a process-wide setting; the bot draws no other PDFs.
    rl_config.useA85 = 0
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A6, pageCompression=1, invariant=1)
    canvas.setTitle(f"Return label {tracking_number}")
    canvas.setSubject(f"{request.rma} {request.order_name}")
    canvas.setAuthor("returnbot")
    canvas.setCreator("returnbot")
    page_label.draw(
        canvas, request, tracking_number=tracking_number, qr_data=tracking_url or request.rma, service=service
    )
    canvas.showPage()
    page_slip.draw(canvas, request, tracking_number=tracking_number)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
