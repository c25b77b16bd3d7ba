"""Label PDF speed: what the local carrier costs per return label.

Each timed label is the whole `LocalCarrier.create_return_shipment`: a new tracking number (a new QR
code each time, as in production), page 1 with the Code 128 and the QR, page 2 the RMA slip in Latvian,
with the fonts embedded. The baseline, measured in the same run and interleaved with it so both see the
same machine load, is a bare one-page ReportLab PDF with one line of Helvetica. Three more rows show
where the time goes: the same bare page in the label's TrueType font (the cost of embedding a font at
all), and a QR code alone on a bare page drawn the label's way and with ReportLab's `QrCodeWidget`.

ReportLab's C accelerator (`pip install reportlab[accel]`, the `rl_accel` package) speeds up number
formatting and font subsetting; the run says whether it was there.
"""

from __future__ import annotations

import gc
import importlib.util
import io
import itertools
import time
from collections.abc import Callable
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bench.report import median, ms, percentile, ratio, table
from domain.carrier import Parcel, ReturnItem, ReturnShipmentRequest
from domain.orders import Address
from domain.vocabulary import Delivery
from integrations.carriers.local import LocalCarrier
from integrations.labels import qr, typeface

RUNS = 200
QUICK_RUNS = 50
WARMUP = 30
TARGET_MEDIAN = 0.010  # seconds per label
TARGET_RATIO = 5.0  # × the bare PDF
TARGET_BYTES = 40 * 1024

REQUEST = ReturnShipmentRequest(
    rma="R1001-1",
    order_name="#1001",
    sender=Address(name="Jānis Bērziņš", address1="Brīvības iela 68-12", zip="LV-1011", city="Rīga", country="LV"),
    receiver=Address(name="Nordic Goods Oy", address1="Varastokatu 5 B", zip="01510", city="Vantaa", country="FI"),
    parcel=Parcel(1250),
    delivery=Delivery.DROP_OFF,
    items=[
        ReturnItem("Linen shirt, blue, M", "LS-BLU-M", 1, "size_too_small"),
        ReturnItem("Vilnas zeķes (3 pāri)", "WS-GRY-3", 2, "defective"),
    ],
    language="lv",
    created=date(2026, 5, 4),
)


def _bare(font: str) -> Callable[[], bytes]:
    def render() -> bytes:
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A6, pageCompression=1, invariant=1)
        canvas.setFont(font, 10)
        canvas.drawString(20 * mm, 100 * mm, "Return label RB123456785FI for order #1001")
        canvas.showPage()
        canvas.save()
        return out.getvalue()

    return render


def _qr_page(draw: Callable[[Canvas, str], None]) -> Callable[[], bytes]:
    serials = itertools.count(10_000_000)

    def render() -> bytes:
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A6, pageCompression=1, invariant=1)
        draw(canvas, f"https://track.example.com/RB{next(serials)}5FI")
        canvas.showPage()
        canvas.save()
        return out.getvalue()

    return render


def _fast_qr(canvas: Canvas, data: str) -> None:
    qr.draw(canvas, data, 20 * mm, 60 * mm, 30 * mm)


def _widget_qr(canvas: Canvas, data: str) -> None:
    widget = QrCodeWidget(data, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    size = 30 * mm
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, 20 * mm, 60 * mm)


def run(quick: bool) -> None:
    runs = QUICK_RUNS if quick else RUNS
    typeface.register()
    carrier = LocalCarrier(itertools.count(1).__next__)
    cases: dict[str, Callable[[], bytes]] = {
        "bare PDF, 1 line Helvetica (baseline)": _bare("Helvetica"),
        "label: 2 pages, Code 128 ×2, QR, 2 fonts": lambda: carrier.create_return_shipment(REQUEST).pdf,
        "bare PDF, 1 line in the label's TTF": _bare(typeface.REGULAR),
        "bare page + QR, qrencoder + one path": _qr_page(_fast_qr),
        "bare page + QR, ReportLab QrCodeWidget": _qr_page(_widget_qr),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    sizes = {name: len(render()) for name, render in cases.items()}
    for _ in range(WARMUP):
        for render in cases.values():
            render()
    gc.collect()
    # Round-robin, so that a burst of load on the machine hits every case alike.
    for _ in range(runs):
        for name, render in cases.items():
            started = time.perf_counter()
            render()
            samples[name].append(time.perf_counter() - started)

    baseline = median(samples["bare PDF, 1 line Helvetica (baseline)"])
    rows = [
        [name, ms(median(s)), ms(percentile(s, 95)), ratio(median(s), baseline), f"{sizes[name] / 1024:.1f}"]
        for name, s in samples.items()
    ]
    accel = "with" if importlib.util.find_spec("_rl_accel") else "without"
    title = f"Label PDF, {runs} renders each after {WARMUP} warm-up, {accel} ReportLab's C accelerator"
    print(table(title, ["case", "median ms", "p95 ms", "× baseline", "PDF KB"], rows))

    label = samples["label: 2 pages, Code 128 ×2, QR, 2 fonts"]
    label_bytes = sizes["label: 2 pages, Code 128 ×2, QR, 2 fonts"]
    checks = [
        (f"median ≤ {TARGET_MEDIAN * 1000:.0f} ms per label", median(label) <= TARGET_MEDIAN, ms(median(label))),
        (
            f"≤ {TARGET_RATIO:.0f}× the bare PDF",
            median(label) <= TARGET_RATIO * baseline,
            ratio(median(label), baseline),
        ),
        (f"PDF ≤ {TARGET_BYTES // 1024} KB", label_bytes <= TARGET_BYTES, f"{label_bytes / 1024:.1f} KB"),
    ]
    for what, met, value in checks:
        print(f"Target: {what}: {'met' if met else 'NOT met'} ({value})")
    if median(label) > TARGET_RATIO * baseline:
        ttf = median(samples["bare PDF, 1 line in the label's TTF"])
        fast_qr = median(samples["bare page + QR, qrencoder + one path"])
        print(
            f"  Where the ratio comes from: embedding one TrueType font costs {ms(ttf - baseline)} ms and the QR code "
            f"{ms(fast_qr - baseline)} ms on their own, against a {ms(baseline)} ms baseline that embeds no font."
        )
