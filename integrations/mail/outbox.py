"""E-mail as .eml files in a folder: the embedded default when no SMTP server is configured."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from pathlib import Path

from integrations.mail.envelope import ensure_message_id, recipients_of
from integrations.mail.errors import MailError
from integrations.mail.message import RMA_HEADER, safe_token


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxMailer:
    """Writes each message to `<directory>/<UTC timestamp>-<RMA>.eml`, which any mail client opens."""

    def __init__(self, directory: Path, clock: Callable[[], datetime] = _utc_now) -> None:
        self.directory = Path(directory)
        self._clock = clock

    def __repr__(self) -> str:
        return f"OutboxMailer({str(self.directory)!r})"

    def send(self, message: EmailMessage) -> str:
        self.write(message)
        return ensure_message_id(message)

    def write(self, message: EmailMessage) -> Path:
        """The file written. Fails like SMTP would on a bad address, so the outbox never hides that bug."""
        recipients = recipients_of(message)
        ensure_message_id(message)
        stamp = self._clock().astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.directory / f"{stamp}-{safe_token(str(message.get(RMA_HEADER, '')), 'message')}.eml"
        # CRLF line ends: the file holds the bytes an SMTP server would have received. A non-ASCII mailbox
        # name cannot be written as an encoded-word, so such a message is stored as SMTPUTF8 would send it.
        international = not all(address.isascii() for address in recipients)
        data = message.as_bytes(policy=SMTPUTF8 if international else SMTP)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._write_atomically(target, data)
        except OSError as exc:
            raise MailError(f"cannot write the e-mail to the outbox {self.directory} ({exc.strerror or exc})") from exc
        return target

    def _write_atomically(self, target: Path, data: bytes) -> None:
        # A dot-file in the same directory, renamed when complete: whoever watches the outbox never sees
        # half a message, and the rename cannot cross file systems.
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
