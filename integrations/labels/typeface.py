"""The label's TrueType fonts, registered with ReportLab once per process.

DejaVu Sans Condensed covers every letter of en, fi, et, lv, lt, da and sv (Helvetica stops at Latin-1);
see fonts/README.md for where the files come from and their licence.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR = "DejaVuSansCondensed"
BOLD = "DejaVuSansCondensed-Bold"
_FILES = {REGULAR: "DejaVuSansCondensed.ttf", BOLD: "DejaVuSansCondensed-Bold.ttf"}

_lock = threading.Lock()
_registered = False

# Hold while building a PDF with these fonts. ReportLab's TrueType subsetter reads each font through one
# shared file cursor (seek/read on the parsed font), so two documents saved at once on different threads
# crash or mix glyphs (seen in testing: IndexError in makeSubset). Rendering is pure Python and holds the
# GIL anyway, so serialising it costs no throughput.
in_use = threading.Lock()


def register() -> None:
    """Parse and register the fonts (a few ms) the first time; later calls return at once.

    Labels are drawn on the bot's worker threads, so two first labels may race: the lock makes one parse.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename), asciiReadable=False))
        _registered = True
