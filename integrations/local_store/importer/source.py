"""Opening the export (a path, a text or binary stream, or lines) and reading it as CSV: the header first, and
what the decoder and the csv module raise turned into ImportFailed."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from integrations.local_store.importer.errors import ImportFailed

ImportSource = Path | str | IO[str] | IO[bytes] | Iterable[str]


@contextmanager
def open_source(source: ImportSource) -> Iterator[tuple[Iterable[str], Callable[[], int] | None]]:
    """The lines, and for a file how many of its bytes have been read so far (to within the read-ahead)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
        with handle:
            # the text layer's own tell() is disabled while iterating; the byte buffer below it knows
            yield handle, cast(IO[bytes], handle.buffer).tell
    elif isinstance(source, io.RawIOBase | io.BufferedIOBase) or "b" in str(getattr(source, "mode", "")):
        wrapper = io.TextIOWrapper(cast(IO[bytes], source), encoding="utf-8-sig", newline="")
        try:
            yield wrapper, None
        finally:
            wrapper.detach()  # the caller owns the stream: do not close it
    else:
        yield cast(Iterable[str], source), None


def without_nul(lines: Iterable[str]) -> Iterator[str]:
    """A NUL means a binary or UTF-16 file; PostgreSQL would refuse it in text anyway."""
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            reason = "this is not a UTF-8 CSV file (it contains NUL bytes; is it UTF-16 or binary?)"
            raise ImportFailed(reason, line=number)
        yield line


@contextmanager
def read_errors(reader: Any) -> Iterator[None]:
    """Turns what the csv module and the decoder raise into a message for a person."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"this is not a UTF-8 CSV file ({exc.reason}); export the orders from Shopify as CSV"
        ) from exc
    except csv.Error as exc:
        raise ImportFailed(f"this is not a readable CSV file: {exc}", line=reader.line_num or 1) from exc


def read_header(reader: Any) -> tuple[list[str], int]:
    for header in reader:
        if any(cell.strip() for cell in header):
            header[0] = header[0].removeprefix("\ufeff")  # a BOM left by a text stream the caller opened
            return [cell.strip() for cell in header], reader.line_num
    raise ImportFailed("the file is empty")
