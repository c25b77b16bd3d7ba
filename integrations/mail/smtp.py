"""Sending through an SMTP server named by SMTP_URL, with failures explained in words an agent can act on."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from integrations.mail.envelope import ensure_message_id, recipients_of, sender_of
from integrations.mail.errors import MailError

log = logging.getLogger(__name__)

URL_SHAPE = "SMTP_URL must look like smtp://user:pass@host:port (smtps:// for TLS)"


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}".strip()


def _temporary(code: int) -> bool:
    return 400 <= code < 500


class SmtpMailer:
    """`smtp://user:pass@host:port` (STARTTLS whenever the server offers it) or `smtps://` (TLS from the start).

    A connection per message: label e-mails are rare, and a fresh session never trips over a server
    that silently dropped an idle one.
    """

    def __init__(self, url: str, timeout: float = 15, *, ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url.strip())
        try:
            port = parts.port
        except ValueError:
            raise MailError(URL_SHAPE) from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailError(URL_SHAPE)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username or "")
        self._password = unquote(parts.password or "")
        if not (self.username + self._password).isascii():
            # smtplib encodes AUTH as ASCII and would fail mid-session with a UnicodeEncodeError.
            raise MailError(
                "the user and password in SMTP_URL must be ASCII: the SMTP client cannot send other characters"
            )
        self.timeout = timeout
        # Verified TLS by default; tests and private CAs pass their own context.
        self._ssl_context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:  # never shows the password
        user = f"{self.username}@" if self.username else ""
        return f"SmtpMailer('{'smtps' if self.implicit_tls else 'smtp'}://{user}{self.host}:{self.port}')"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: EmailMessage) -> str:
        recipients = recipients_of(message)  # before connecting: a bad address is not the server's fault
        sender = sender_of(message)
        message_id = ensure_message_id(message)
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            raise self._explain(exc) from exc
        try:
            self._secure_and_login(smtp)
            refused = smtp.send_message(message, from_addr=sender, to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._explain(exc) from exc
        finally:
            # Once the server has accepted the message, a failing QUIT must not turn success into an
            # error (the caller would retry and the customer get it twice).
            _close_quietly(smtp)
        if refused:
            raise self._explain(smtplib.SMTPRecipientsRefused(refused))
        log.info("e-mail %s accepted by %s", message_id, self.where)
        return message_id

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._ssl_context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _secure_and_login(self, smtp: smtplib.SMTP) -> None:
        smtp.ehlo()
        if not self.implicit_tls and smtp.has_extn("starttls"):
            smtp.starttls(context=self._ssl_context)
            smtp.ehlo()  # the server's capabilities (AUTH among them) may change once encrypted
        if not self.username:
            return
        if not smtp.has_extn("auth"):
            raise MailError(
                f"the mail server {self.where} does not offer authentication (AUTH) although SMTP_URL has a user: "
                "remove the user from SMTP_URL or use the server's submission port"
            )
        smtp.login(self.username, self._password)

    def _explain(self, exc: BaseException) -> MailError:
        """One sentence saying what went wrong and where to look; never the password."""
        where = self.where
        match exc:
            case smtplib.SMTPAuthenticationError(smtp_code=code, smtp_error=text):
                return MailError(
                    f"the mail server {where} refused the login of user '{self.username}': authentication failed "
                    f"({_reply(code, text)}); check the user and password in SMTP_URL",
                    temporary=_temporary(code),
                )
            case smtplib.SMTPRecipientsRefused(recipients=refused):
                described = ", ".join(f"{address} ({_reply(*reply)})" for address, reply in refused.items())
                return MailError(
                    f"the mail server {where} refused the recipient {described}",
                    temporary=all(_temporary(code) for code, _ in refused.values()),
                )
            case smtplib.SMTPSenderRefused(smtp_code=530):
                return MailError(f"the mail server {where} requires a login: add user:password to SMTP_URL")
            case smtplib.SMTPSenderRefused(smtp_code=code, smtp_error=text, sender=sender):
                return MailError(
                    f"the mail server {where} refused the sender address {sender} ({_reply(code, text)}); check "
                    "RETURN_ADDRESS_EMAIL and whether the SMTP user may send as it",
                    temporary=_temporary(code),
                )
            case smtplib.SMTPDataError(smtp_code=code, smtp_error=text):
                return MailError(
                    f"the mail server {where} rejected the message ({_reply(code, text)})", temporary=_temporary(code)
                )
            case smtplib.SMTPNotSupportedError():
                return MailError(f"the mail server {where} cannot take this message: {exc}")
            case smtplib.SMTPServerDisconnected():
                return MailError(f"the mail server {where} closed the connection unexpectedly", temporary=True)
            case smtplib.SMTPResponseException(smtp_code=code, smtp_error=text):
                return MailError(f"the mail server {where} answered {_reply(code, text)}", temporary=_temporary(code))
            case ssl.SSLCertVerificationError(verify_message=reason):
                return MailError(f"the TLS certificate of the mail server {where} cannot be trusted ({reason})")
            case ssl.SSLError(reason=reason):
                hint = "; smtps:// needs a port that speaks TLS at once (usually 465)" if self.implicit_tls else ""
                return MailError(f"TLS with the mail server {where} failed ({reason or exc}){hint}")
            case ConnectionRefusedError():
                return MailError(
                    f"cannot connect to the mail server {where}: connection refused (is it running, and is the port "
                    "in SMTP_URL right?)",
                    temporary=True,
                )
            case socket.gaierror():
                return MailError(f"cannot find the mail server {self.host}: check the host in SMTP_URL", temporary=True)
            case TimeoutError():
                return MailError(f"the mail server {where} did not answer within {self.timeout:g} s", temporary=True)
            case OSError(strerror=reason):
                return MailError(f"cannot reach the mail server {where} ({reason or exc})", temporary=True)
        return MailError(f"sending through the mail server {where} failed ({exc})")


def _close_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
