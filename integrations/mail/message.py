"""The "your return label" e-mail as a standard MIME message: text in the customer's language plus the PDF."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial

from domain.vocabulary import known_language
from integrations.mail.addresses import require_address
from integrations.mail.lifecycle_texts import received_text, reminder_text
from integrations.mail.qr_part import add_qr_code
from integrations.mail.texts import LabelText, label_text
from integrations.mail.void_texts import void_text

# Carries the RMA so that a mailer (the outbox names its files after it) and anyone reading the raw
# message can tell which return it belongs to without parsing the subject, which is translated.
RMA_HEADER = "X-Returnbot-RMA"

_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


def safe_token(text: str, fallback: str = "return") -> str:
    """Letters, digits and dashes only: fit for a file name and for the left side of a Message-ID."""
    return _UNSAFE.sub("-", text).strip("-") or fallback


def message_id_for(rma: str, idempotency_key: str, sender: str) -> str:
    """The same RMA and key always give the same Message-ID, on any instance.

    A resend of the same request (a retry after a timeout, a second click) therefore carries the Message-ID
    of the first, so mail servers and clients can recognise the duplicate. `email.utils.make_msgid` is
    not used because it mixes in the time, a random number and the host name.
    """
    digest = hashlib.sha256(f"{rma}\x00{idempotency_key}".encode()).hexdigest()[:24]
    domain = sender.rsplit("@", 1)[-1]
    return f"<{safe_token(rma)}.{digest}@{domain}>"


def _one_line(text: str) -> str:
    # Header values may not contain line breaks; order and shop names come from outside.
    return " ".join(text.split())


def label_email(
    to: str,
    customer_name: str,
    language: str,
    order_name: str,
    rma: str,
    tracking_number: str,
    delivery: str,
    pickup_date: date | None,
    pdf: bytes,
    sender: str,
    shop_name: str,
    *,
    idempotency_key: str,
    return_address: Sequence[str] = (),
    now: datetime | None = None,
    service_points: Sequence[str] = (),  # the nearest drop-off points, one line each
    qr_code: str = "",  # a label-less drop-off code from the carrier (PostNord): shown as a QR image
) -> EmailMessage:
    """The return label e-mail to the customer, ready for any `Mailer`.

    `sender` is the shop's return e-mail address (RETURN_ADDRESS_EMAIL), so a customer's reply reaches
    the people handling returns. Raises MailError when the customer's address is missing or invalid.
    """
    write = partial(
        label_text, customer_name=customer_name, order_name=order_name, rma=rma, tracking_number=tracking_number,
        delivery=delivery, pickup_date=pickup_date, shop_name=shop_name, return_address=return_address,
        service_points=service_points,
    )  # fmt: skip
    return _to_customer(to, sender, shop_name, language, rma, idempotency_key, now, write, pdf=pdf, qr_code=qr_code)


def void_email(
    to: str,
    customer_name: str,
    language: str,
    order_name: str,
    rma: str,
    tracking_number: str,
    sender: str,
    shop_name: str,
    *,
    idempotency_key: str,
    now: datetime | None = None,
) -> EmailMessage:
    """The "your return label was cancelled" e-mail: to someone the label was e-mailed to, once it is voided."""
    write = partial(
        void_text, customer_name=customer_name, order_name=order_name, rma=rma, tracking_number=tracking_number,
        shop_name=shop_name,
    )  # fmt: skip
    return _to_customer(to, sender, shop_name, language, rma, idempotency_key, now, write)


def reminder_email(
    to: str,
    customer_name: str,
    language: str,
    order_name: str,
    rma: str,
    tracking_number: str,
    pdf: bytes,
    sender: str,
    shop_name: str,
    *,
    idempotency_key: str,
    now: datetime | None = None,
) -> EmailMessage:
    """The reminder that the return has not arrived yet, with the label attached again."""
    write = partial(
        reminder_text, customer_name=customer_name, order_name=order_name, rma=rma, tracking_number=tracking_number,
        shop_name=shop_name,
    )  # fmt: skip
    return _to_customer(to, sender, shop_name, language, rma, idempotency_key, now, write, pdf=pdf)


def received_email(
    to: str,
    customer_name: str,
    language: str,
    order_name: str,
    rma: str,
    received_on: date,
    items: Sequence[tuple[int, str]],
    missing: bool,
    resolution: str,
    sender: str,
    shop_name: str,
    *,
    idempotency_key: str,
    now: datetime | None = None,
) -> EmailMessage:
    """The follow-up: we received the return on <date>, what came back (quantity, name) and what happens next."""
    write = partial(
        received_text, customer_name=customer_name, order_name=order_name, rma=rma, received_on=received_on,
        items=items, missing=missing, resolution=resolution, shop_name=shop_name,
    )  # fmt: skip
    return _to_customer(to, sender, shop_name, language, rma, idempotency_key, now, write)


def _to_customer(
    to: str, sender: str, shop_name: str, language: str, rma: str, key: str, now: datetime | None,
    write: Callable[[str], LabelText], *, pdf: bytes | None = None, qr_code: str = "",
) -> EmailMessage:  # fmt: skip
    """What every message to a customer does: check both addresses and the key, write the text in the customer's
    language (English when we have none of theirs), and attach the label when it goes along."""
    recipient = require_address(to)
    from_address = require_address(sender, "the shop's return e-mail address (RETURN_ADDRESS_EMAIL) is not valid")
    if pdf is not None and not pdf:
        raise ValueError("the return label PDF is empty")
    if not key:
        raise ValueError("an idempotency key is required so that a resend keeps its Message-ID")
    language = known_language(language)
    message = _message(recipient, from_address, shop_name, write(language), language, rma, key, now)
    if qr_code:
        add_qr_code(message, qr_code, language)
    if pdf:
        filename = f"return-label-{safe_token(rma)}.pdf"
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    # After the body: set_content and add_attachment rewrite every Content-* header of the message.
    message["Content-Language"] = language
    return message


def _message(
    recipient: str, from_address: str, shop_name: str, text: LabelText, language: str, rma: str, key: str,
    now: datetime | None,
) -> EmailMessage:  # fmt: skip
    """The headers and text body every message to a customer has."""
    sent_at = now or datetime.now(UTC)
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    message = EmailMessage()
    message["Subject"] = _one_line(text.subject)
    message["From"] = Address(display_name=_one_line(shop_name), addr_spec=from_address)
    message["To"] = recipient
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id_for(rma, key, from_address)
    # RFC 3834: tells auto-responders (vacation replies) not to answer this message.
    message["Auto-Submitted"] = "auto-generated"
    message[RMA_HEADER] = _one_line(rma)
    # Quoted-printable keeps the text 7-bit safe for any relay yet readable in the raw message.
    message.set_content(text.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message
