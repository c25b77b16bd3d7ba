"""QR codes drawn straight onto a ReportLab canvas, fast.

ReportLab's `QrCodeWidget` costs ~30 ms per code (bench/labels.py measures it): its encoder builds the
symbol eight times to score the mask patterns with slow pure-Python rules (~6 ms), and the widget then
goes through a generic Drawing. Here the codewords and the final symbol still come from ReportLab's
encoder (`qrencoder`), but the eight candidates are made by XOR-ing precomputed mask bit masks and
scored by `penalty` below (the same ISO/IEC 18004 rules, on integers and in C-level string searches),
and the modules are written as one filled path in module units: row runs of dark modules become `re`
operators with small integer operands under one scaling transform."""

from __future__ import annotations

import re
from itertools import pairwise

from reportlab.graphics.barcode import qrencoder
from reportlab.pdfgen.canvas import Canvas

QUIET_MODULES = 4  # the light margin the QR specification asks for on every side

_RUN = re.compile(r"0{5,}|1{5,}")
_DARK = re.compile("1+")
_BITS = {False: "0", True: "1"}
# version → per-pattern (row, column) masks; at most 40 versions, each filled once
_MASKS: dict[int, list[tuple[list[int], list[int]]]] = {}


def penalty(rows: list[int], cols: list[int], n: int) -> int:
    """ISO/IEC 18004 mask penalty of an n×n symbol given as row and column bit masks; lower scans better."""
    width = f"0{n}b"
    # All rows and columns in one string, "|" between lines, so N1 and N3 each run once, in C.
    lines = "|".join([format(line, width) for line in rows] + [format(line, width) for line in cols])
    # N1: runs of five or more modules of one colour, 3 + (length - 5) each.
    runs = _RUN.findall(lines)
    score = sum(map(len, runs)) - 2 * len(runs)
    # N3: 1:1:3:1:1 finder look-alikes with four light modules on one side (neither overlaps itself,
    # so a plain count is exact).
    score += 40 * (lines.count("00001011101") + lines.count("10111010000"))
    # N2: 2×2 blocks of one colour.
    full = (1 << n) - 1
    for upper, lower in pairwise(rows):
        dark = upper & lower
        light = ~(upper | lower) & full
        score += 3 * ((dark & dark >> 1).bit_count() + (light & light >> 1).bit_count())
    # N4: 10 points for each full 5 % the dark share is away from 50 %.
    dark_share = sum(row.bit_count() for row in rows) * 100 / (n * n)
    return score + 10 * int(abs(dark_share - 50) // 5)


def _transpose(rows: list[int], n: int) -> list[int]:
    """Column bit masks (MSB = top) from row bit masks (MSB = left)."""
    text = [format(row, f"0{n}b") for row in rows]
    return [int("".join(col), 2) for col in zip(*text, strict=True)]


def _masks(code: qrencoder.QRCode) -> list[tuple[list[int], list[int]]]:
    """Per mask pattern, the (rows, columns) bit masks of the data modules it inverts.

    They depend on the version only, so each is computed once per process.
    """
    version = code.version
    if version not in _MASKS:
        n = code.getModuleCount()
        positions = list(code.dataPosIterator())
        masks = []
        for pattern in range(8):
            inverts = qrencoder.QRUtil.getMask(pattern)
            rows = [0] * n
            for col, row in positions:
                if inverts(row, col):
                    rows[row] |= 1 << (n - 1 - col)
            masks.append((rows, _transpose(rows, n)))
        _MASKS[version] = masks
    return _MASKS[version]


def _bits(code: qrencoder.QRCode) -> list[int]:
    return [int("".join(_BITS[dark] for dark in row), 2) for row in code.modules]


def _xor(a: list[int], b: list[int]) -> list[int]:
    return [x ^ y for x, y in zip(a, b, strict=True)]


def matrix(data: str, level: str = "M") -> list[int]:
    """The QR modules of `data` as row bit masks (MSB = leftmost, 1 = dark), top row first.

    Level M survives ~15 % damage. The mask is chosen as the specification says, by lowest penalty, but
    the eight candidates are made by XOR-ing bit masks instead of re-encoding the symbol eight times.
    """
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(data)
    code.version = code.calculate_version()
    code.makeImpl(True, 0)  # test mode leaves the format information blank, as ReportLab's own search does
    n = code.getModuleCount()
    masks = _masks(code)
    rows = _xor(_bits(code), masks[0][0])  # the symbol with no mask applied
    cols = _transpose(rows, n)
    scores = [penalty(_xor(rows, mask_rows), _xor(cols, mask_cols), n) for mask_rows, mask_cols in masks]
    code.makeImpl(False, scores.index(min(scores)))
    return _bits(code)


def path_operators(rows: list[int]) -> str:
    """PDF operators filling the dark modules, in module units with the origin at the bottom left."""
    count = len(rows)
    ops = []
    for r, row in enumerate(rows):
        y = count - 1 - r
        for run in _DARK.finditer(format(row, f"0{count}b")):
            ops.append(f"{run.start()} {y} {run.end() - run.start()} 1 re")
    ops.append("f")
    return "\n".join(ops)


def draw(canvas: Canvas, data: str, x: float, y: float, size: float, level: str = "M") -> None:
    """Draw a QR code of `data` in the square (x, y, size), quiet zone included."""
    rows = matrix(data, level)
    module = size / (len(rows) + 2 * QUIET_MODULES)
    canvas.saveState()
    canvas.translate(x + QUIET_MODULES * module, y + QUIET_MODULES * module)
    canvas.scale(module, module)
    canvas.setFillGray(0)
    # Literal operators: going through PathObject.rect would format every coordinate as a float.
    canvas.addLiteral(path_operators(rows))
    canvas.restoreState()
