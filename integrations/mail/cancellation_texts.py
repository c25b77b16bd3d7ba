"""What the customer reads when the shop cancels their order (the local store: Shopify sends its own notice), in
their own language: that it is cancelled, what is refunded and where, and that nothing will be shipped.

Whole sentences per language, as in texts.py; the amount is written as the bot writes money ("2,535.00 SEK").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from functools import partial

from domain.vocabulary import DEFAULT_LANGUAGE
from integrations.mail.message import _to_customer
from integrations.mail.texts import LabelText, greeting, signoff


@dataclass(frozen=True, slots=True)
class _CancelPhrases:
    subject: str  # {order}
    cancelled: str  # {order}
    refunded: str  # {amount}: back to the payment method the customer used
    questions: str


_PHRASES: dict[str, _CancelPhrases] = {
    "en": _CancelPhrases(
        subject="Your order {order} has been cancelled",
        cancelled="Your order {order} has been cancelled. Nothing will be shipped to you.",
        refunded="We have refunded {amount} to the payment method you used. It may take a few days to show.",
        questions="If you have any questions, simply reply to this e-mail.",
    ),
    "fi": _CancelPhrases(
        subject="Tilauksesi {order} on peruttu",
        cancelled="Tilauksesi {order} on peruttu. Sinulle ei lähetetä mitään.",
        refunded="Olemme palauttaneet {amount} käyttämällesi maksutavalle. Palautus voi näkyä vasta muutaman päivän "
        "kuluttua.",
        questions="Jos sinulla on kysyttävää, vastaa tähän sähköpostiin.",
    ),
    "et": _CancelPhrases(
        subject="Teie tellimus {order} on tühistatud",
        cancelled="Teie tellimus {order} on tühistatud. Teile ei saadeta midagi.",
        refunded="Oleme tagastanud {amount} teie kasutatud makseviisile. Selle kajastumine võib võtta mõne päeva.",
        questions="Kui teil on küsimusi, vastake lihtsalt sellele kirjale.",
    ),
    "lv": _CancelPhrases(
        subject="Jūsu pasūtījums {order} ir atcelts",
        cancelled="Jūsu pasūtījums {order} ir atcelts. Jums nekas netiks nosūtīts.",
        refunded="Mēs esam atmaksājuši {amount} uz Jūsu izmantoto maksājuma veidu. Tas var parādīties pēc dažām "
        "dienām.",
        questions="Ja Jums ir jautājumi, vienkārši atbildiet uz šo e-pastu.",
    ),
    "lt": _CancelPhrases(
        subject="Jūsų užsakymas {order} atšauktas",
        cancelled="Jūsų užsakymas {order} atšauktas. Jums nieko nebus išsiųsta.",
        refunded="Grąžinome {amount} į Jūsų naudotą mokėjimo būdą. Tai gali užtrukti kelias dienas.",
        questions="Jei turite klausimų, tiesiog atsakykite į šį laišką.",
    ),
    "da": _CancelPhrases(
        subject="Din ordre {order} er annulleret",
        cancelled="Din ordre {order} er annulleret. Der bliver ikke sendt noget til dig.",
        refunded="Vi har refunderet {amount} til den betalingsmetode, du brugte. Det kan tage et par dage, før det "
        "ses.",
        questions="Hvis du har spørgsmål, så svar blot på denne e-mail.",
    ),
    "sv": _CancelPhrases(
        subject="Din order {order} har avbrutits",
        cancelled="Din order {order} har avbrutits. Ingenting kommer att skickas till dig.",
        refunded="Vi har återbetalat {amount} till betalningssättet du använde. Det kan ta några dagar innan det syns.",
        questions="Om du har frågor kan du svara på det här mejlet.",
    ),
}


def cancellation_text(
    language: str, *, customer_name: str, order_name: str, refunded: str, shop_name: str
) -> LabelText:
    """Subject and body of "your order is cancelled"; `refunded` is the amount as written ("" when nothing was)."""
    language = language if language in _PHRASES else DEFAULT_LANGUAGE
    p = _PHRASES[language]
    paragraphs = [greeting(language, customer_name), p.cancelled.format(order=order_name)]
    if refunded:
        paragraphs.append(p.refunded.format(amount=refunded))
    paragraphs += [p.questions, signoff(language, shop_name)]
    return LabelText(subject=p.subject.format(order=order_name), body="\n\n".join(paragraphs) + "\n")


def cancellation_email(
    to: str, customer_name: str, language: str, order_name: str, refunded: str, sender: str, shop_name: str, *,
    idempotency_key: str, now: datetime | None = None,
) -> EmailMessage:  # fmt: skip
    """The notice that the order is cancelled, to the order's customer (the order's name stands in for an RMA)."""
    write = partial(
        cancellation_text, customer_name=customer_name, order_name=order_name, refunded=refunded, shop_name=shop_name
    )
    return _to_customer(to, sender, shop_name, language, order_name, idempotency_key, now, write)
