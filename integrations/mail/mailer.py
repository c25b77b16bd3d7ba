"""The Mailer protocol and the choice between a real SMTP server and the outbox folder."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from integrations.mail.errors import MailError
from integrations.mail.outbox import OutboxMailer
from integrations.mail.smtp import SmtpMailer

__all__ = ["MailError", "Mailer", "OutboxMailer", "SmtpMailer", "mailer_from_settings"]


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Hand the message on; returns its Message-ID. Raises MailError with a message fit for an agent."""
        ...


def mailer_from_settings(smtp_url: str, outbox_dir: Path) -> Mailer:
    """SMTP when SMTP_URL is set, else .eml files in OUTBOX_DIR (the embedded default needs no server)."""
    if smtp_url and smtp_url.strip():
        return SmtpMailer(smtp_url)
    return OutboxMailer(outbox_dir)
