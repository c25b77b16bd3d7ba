"""A label-less drop-off code in the customer's e-mail: written out, and shown as a QR image that scans."""

from __future__ import annotations

import io
from email.message import EmailMessage

import PIL.Image
import pytest
import zxingcpp

from integrations.mail import label_email
from integrations.mail.qr_image import qr_png

CODE = "PNRET0001000019"


def message(qr_code: str = CODE, language: str = "sv") -> EmailMessage:
    return label_email(
        "anna@example.com", "Anna Svensson", language, "#1001", "RMA-1001-1", "00373500450001000019", "drop_off",
        None, b"%PDF-1.4 label", "returns@example.com", "Returnbot Demo", idempotency_key="label:RMA-1001-1:1",
        qr_code=qr_code,
    )  # fmt: skip


def scanned(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png)))]


def test_the_qr_png_scans_back_to_its_data() -> None:
    assert scanned(qr_png(CODE)) == [CODE]
    with pytest.raises(ValueError):
        qr_png("")


def test_the_email_shows_the_code_as_an_image_and_in_words() -> None:
    mail = message()
    assert [p.get_content_type() for p in mail.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png",
        "application/pdf",
    ]  # fmt: skip
    text = mail.get_body(("plain",))
    page = mail.get_body(("html",))
    assert text is not None and page is not None
    assert f"inlämningsstället i stället för etiketten:\n{CODE}" in text.get_content()
    image = next(p for p in mail.walk() if p.get_content_type() == "image/png")
    cid = str(image["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in page.get_content()
    assert scanned(image.get_content()) == [CODE]
    attachment = next(p for p in mail.walk() if p.get_content_type() == "application/pdf")
    assert attachment.get_content() == b"%PDF-1.4 label"


def test_a_resent_message_carries_the_same_image() -> None:
    def image_id(mail: EmailMessage) -> str:
        return str(next(p for p in mail.walk() if p.get_content_type() == "image/png")["Content-ID"])

    first, again = message(), message()
    assert image_id(first) == image_id(again) and first["Message-ID"] == again["Message-ID"]


def test_without_a_code_the_email_stays_text_and_label() -> None:
    mail = message(qr_code="")
    assert [p.get_content_type() for p in mail.walk()] == ["multipart/mixed", "text/plain", "application/pdf"]
