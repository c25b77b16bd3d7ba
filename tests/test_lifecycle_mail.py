"""The customer's reminder (label attached again) and "we received your return" e-mails, in all seven languages,
through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.vocabulary import LANGUAGES
from integrations.mail import SmtpMailer, received_email, reminder_email
from integrations.mail.lifecycle_texts import received_text, reminder_text
from integrations.mail.texts import format_day
from tests.smtp_sink import smtp_sink

PDF = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n"
ON = date(2026, 11, 24)
ITEMS = [(1, "Kaamos Down Jacket - M / Lingonberry"), (2, "Wool Hiking Socks 3-pack - 43-46")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reminder_names_the_return_and_says_the_label_is_attached(language: str) -> None:
    text = reminder_text(language, customer_name="Jānis Bērziņš", order_name="#1001", rma="R1001-1",
                         tracking_number="RB000000015FI", shop_name="Returnbot Demo")  # fmt: skip
    assert "#1001" in text.subject and "{" not in text.subject + text.body
    assert "R1001-1" in text.body and "RB000000015FI" in text.body and "Returnbot Demo" in text.body
    if language != "lt":  # Lithuanian greets without the name (the vocative cannot be derived)
        assert "Jānis" in text.body
    others = {reminder_text(other, customer_name="", order_name="#1001", rma="R1001-1", tracking_number="",
                            shop_name="S").subject for other in LANGUAGES}  # fmt: skip
    assert len(others) == len(LANGUAGES)  # written in each language, not one text seven times


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_follow_up_says_when_it_came_what_came_and_what_happens_next(language: str) -> None:
    def text(resolution: str, missing: bool = False) -> str:
        return received_text(
            language, customer_name="Anna", order_name="#1001", rma="R1001-1", received_on=ON, items=ITEMS,
            missing=missing, resolution=resolution, shop_name="Returnbot Demo",
        ).body  # fmt: skip

    refund, replacement = text("refund"), text("replacement")
    assert format_day(language, ON) in refund and "R1001-1" in refund and "#1001" in refund
    assert "- 2 × Wool Hiking Socks 3-pack - 43-46" in refund
    assert refund != replacement and text("") == refund  # no resolution chosen: a refund, as most returns are
    assert len(text("refund", missing=True)) > len(refund)  # says that some of it was not in the parcel
    assert "{" not in refund + replacement


def test_both_go_through_a_real_smtp_server() -> None:
    with smtp_sink() as (url, sink):
        mailer = SmtpMailer(url)
        at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
        to, name, shop, shop_name = "anna@example.com", "Anna Virtanen", "returns@example.com", "Returnbot Demo"
        reminder = reminder_email(to, name, "fi", "#1005", "R1005-1", "RB000000015FI", PDF, shop, shop_name,
                                  idempotency_key="k1", now=at)  # fmt: skip
        received = received_email(to, name, "fi", "#1005", "R1005-1", ON, ITEMS, False, "refund", shop, shop_name,
                                  idempotency_key="k2", now=at)  # fmt: skip
        mailer.send(reminder)
        mailer.send(received)
    reminder, received = sink.messages
    assert reminder["Subject"] == "Muistutus: tilauksen #1005 palautus"
    assert reminder["Content-Language"] == "fi" and reminder["X-Returnbot-RMA"] == "R1005-1"
    [attachment] = list(reminder.iter_attachments())
    assert attachment.get_filename() == "return-label-R1005-1.pdf" and attachment.get_content() == PDF
    assert received["Subject"] == "Olemme vastaanottaneet palautuksesi R1005-1"
    body = received.get_body(("plain",))
    assert body is not None and "Vastaanotimme palautuksesi R1005-1 tilaukselle #1005 tiistaina 24.11.2026." in (
        body.get_content()
    )
    assert list(received.iter_attachments()) == []
