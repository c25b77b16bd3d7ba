"""Small text-layout helpers for the A6 pages: fit a line to a width, wrap a paragraph, draw a block."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

ELLIPSIS = "…"


def fit(text: str, font: str, size: float, width: float, min_size: float) -> tuple[str, float]:
    """Shrink `text` down to `min_size` to fit `width`; below that, cut it and end it with an ellipsis.

    Addresses are printed whole whenever they can be: a cut street name can misroute a parcel.
    """
    natural = stringWidth(text, font, size)
    if natural <= width:
        return text, size
    shrunk = max(min_size, size * width / natural)
    if stringWidth(text, font, shrunk) <= width:
        return text, shrunk
    while text and stringWidth(text + ELLIPSIS, font, min_size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS, min_size


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    return simpleSplit(text, font, size, width) or [""]


def draw_lines(
    canvas: Canvas,
    lines: Sequence[str],
    x: float,
    top: float,
    width: float,
    font: str,
    size: float,
    *,
    leading: float,
    max_lines: int,
    min_size: float,
) -> float:
    """Draw up to `max_lines` lines, each fitted to `width`, one `leading` apart below `top`; returns the y below."""
    shown = list(lines[:max_lines])
    if len(lines) > max_lines:
        # Join the overflow onto the last line rather than lose it (e.g. province + country).
        shown[-1] = ", ".join(lines[max_lines - 1 :])
    y = top
    for line in shown:
        text, fitted = fit(line, font, size, width, min_size)
        canvas.setFont(font, fitted)
        canvas.drawString(x, y - size, text)
        y -= leading
    return y


def code128(
    canvas: Canvas,
    value: str,
    x: float,
    y: float,
    width: float,
    height: float,
    *,
    max_module: float = 0.5 * mm,
    center: bool = False,
) -> float:
    """Draw `value` as Code 128 in the box (x, y, width, height), left-aligned or centred; returns its width.

    ReportLab's Code128 encodes (code set switching, check character); the bars are then written as one
    path in module units, like the QR code, instead of one float-formatted rectangle each. Modules are as
    wide as fit, up to `max_module`: wider ones scan more reliably. No quiet zone or text is included:
    callers leave ≥ 10 modules of white either side and print the text in the label's own font.
    """
    symbol = Code128(value, barWidth=1.0, barHeight=height, quiet=0, humanReadable=0)
    modules: float = symbol.width  # with barWidth 1 the width is the module count; it also runs the encoder
    module = min(max_module, width / modules)
    if center:
        x += (width - modules * module) / 2
    ops = []
    left = 0
    # `decomposed` alternates bar and space widths: "A".."Z" a bar of 1..26 modules, "a".."z" a space.
    for char in symbol.decomposed:
        if char.isupper():
            ops.append(f"{left} 0 {ord(char) - 64} 1 re")
            left += ord(char) - 64
        else:
            left += ord(char) - 96
    ops.append("f")
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(module, height)
    canvas.setFillGray(0)
    canvas.addLiteral("\n".join(ops))
    canvas.restoreState()
    return modules * module
