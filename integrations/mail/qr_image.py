"""A QR code as a PNG image, for e-mails (a label-less drop-off code the customer shows at the parcel point).

The symbol comes from `integrations.labels.qr.matrix` (ReportLab's encoder); the PNG is written here with
zlib, one grey-scale byte per pixel, so no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib

from integrations.labels.qr import QUIET_MODULES, matrix


def qr_png(data: str, *, scale: int = 8) -> bytes:
    """A black-on-white PNG of `data` as a QR code, `scale` pixels per module, quiet zone included."""
    if not data:
        raise ValueError("a QR code needs data")
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    rows = matrix(data)
    count = len(rows)
    size = (count + 2 * QUIET_MODULES) * scale
    margin = b"\xff" * (QUIET_MODULES * scale)
    blank = b"\x00" + b"\xff" * size  # filter byte 0, then a white line
    lines = [blank] * (QUIET_MODULES * scale)
    for row in rows:
        bits = format(row, f"0{count}b")
        pixels = b"".join((b"\x00" if bit == "1" else b"\xff") * scale for bit in bits)
        lines.extend([b"\x00" + margin + pixels + margin] * scale)
    lines.extend([blank] * (QUIET_MODULES * scale))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit grey-scale, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(lines), 9)) + (
        _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
