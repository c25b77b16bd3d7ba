"""The label-less drop-off code in the label e-mail: an HTML alternative that shows it as a QR image.

Carriers such as PostNord give a QR code with a return; the customer shows it at the parcel point and the
counter prints the label. The e-mail keeps its plain-text part (with the code written out) and gains an HTML
part with the same text and the code as an inline PNG (multipart/related, referenced by Content-ID), so mail
programs that show HTML show the image, and the others still have the code.
"""

from __future__ import annotations

import hashlib
import html
from email.message import EmailMessage

from domain.vocabulary import DEFAULT_LANGUAGE
from integrations.mail.qr_image import qr_png

_CAPTION = {
    "en": "No printer? Show this QR code at the drop-off point instead of the label:",
    "fi": "Eikö sinulla ole tulostinta? Näytä tämä QR-koodi palautuspisteessä tarran sijaan:",
    "et": "Printerit pole? Näidake pakkide vastuvõtukohas sildi asemel seda QR-koodi:",
    "lv": "Nav printera? Paku nodošanas vietā uzlīmes vietā uzrādiet šo QR kodu:",
    "lt": "Neturite spausdintuvo? Siuntų priėmimo vietoje vietoj lipduko parodykite šį QR kodą:",
    "da": "Ingen printer? Vis denne QR-kode på indleveringsstedet i stedet for etiketten:",
    "sv": "Ingen skrivare? Visa den här QR-koden på inlämningsstället i stället för etiketten:",
}


def caption(language: str) -> str:
    return _CAPTION.get(language, _CAPTION[DEFAULT_LANGUAGE])


def content_id(data: str) -> str:
    """The same code always gets the same Content-ID, so a resent message is the same message."""
    return f"<qr-{hashlib.sha256(data.encode()).hexdigest()[:20]}@returnbot>"


def add_qr_code(message: EmailMessage, data: str, language: str) -> None:
    """Add the code to a text-only message (before any attachment): written out in the text, as an image in
    a new HTML alternative."""
    text = message.get_content()
    paragraphs = text.rstrip("\n").split("\n\n")
    said = f"{caption(language)}\n{data}"
    paragraphs.insert(min(2, len(paragraphs)), said)  # after the greeting and the opening paragraph
    message.set_content("\n\n".join(paragraphs) + "\n", subtype="plain", charset="utf-8", cte="quoted-printable")
    cid = content_id(data)
    blocks = []
    for paragraph in paragraphs:
        if paragraph is said:
            blocks.append(
                f"<p>{html.escape(caption(language))}</p>"
                f'<p><img src="cid:{cid[1:-1]}" alt="{html.escape(data, quote=True)}" width="200" height="200"></p>'
                f"<p style=\"font-family:monospace\">{html.escape(data)}</p>"
            )
        else:
            blocks.append("<p>" + html.escape(paragraph).replace("\n", "<br>\n") + "</p>")
    page = '<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n' + "\n".join(blocks) + "\n</body></html>\n"
    message.add_alternative(page, subtype="html", charset="utf-8", cte="quoted-printable")
    parts = message.get_payload()
    html_part = parts[1] if isinstance(parts, list) and len(parts) == 2 else None
    if not isinstance(html_part, EmailMessage):
        raise ValueError("the QR code goes into a text-only message, before any attachment")
    html_part.add_related(qr_png(data), maintype="image", subtype="png", cid=cid, filename="qr-code.png",
                          disposition="inline")  # fmt: skip
