"""What the customer reads when a return label they were e-mailed is voided, in their own language.

A voided label must not travel: a parcel sent with it is not booked with any carrier. The customer is told
so plainly, and how to get a new one (reply), in the same languages as the label e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.vocabulary import DEFAULT_LANGUAGE
from integrations.mail.texts import LabelText, greeting, numbers, signoff


@dataclass(frozen=True, slots=True)
class _VoidPhrases:
    subject: str  # {order}
    voided: str  # {rma}, {order}
    do_not_send: str
    still_return: str


_PHRASES: dict[str, _VoidPhrases] = {
    "en": _VoidPhrases(
        subject="Your return label for order {order} has been cancelled",
        voided="The return label {rma} we sent you for order {order} has been cancelled and can no longer be used.",
        do_not_send="Please do not send a parcel with this label.",
        still_return="If you still want to return something, simply reply to this e-mail and we will help you.",
    ),
    "fi": _VoidPhrases(
        subject="Tilauksen {order} palautustarra on peruttu",
        voided="Lähettämämme palautustarra {rma} tilaukselle {order} on peruttu, eikä sitä voi enää käyttää.",
        do_not_send="Älä lähetä pakettia tällä tarralla.",
        still_return="Jos haluat silti palauttaa jotain, vastaa tähän sähköpostiin, niin autamme sinua.",
    ),
    "et": _VoidPhrases(
        subject="Tellimuse {order} tagastussilt on tühistatud",
        voided=(
            "Tellimuse {order} tagastussilt {rma}, mille teile saatsime, on tühistatud ja seda ei saa enam kasutada."
        ),
        do_not_send="Palun ärge saatke selle sildiga pakki.",
        still_return="Kui soovite siiski midagi tagastada, vastake lihtsalt sellele kirjale ja me aitame teid.",
    ),
    "lv": _VoidPhrases(
        subject="Pasūtījuma {order} atgriešanas etiķete ir atcelta",
        voided=("Atgriešanas etiķete {rma}, ko nosūtījām pasūtījumam {order}, ir atcelta, un to vairs nevar izmantot."),
        do_not_send="Lūdzu, nesūtiet paku ar šo etiķeti.",
        still_return="Ja tomēr vēlaties kaut ko atgriezt, vienkārši atbildiet uz šo e-pastu, un mēs Jums palīdzēsim.",
    ),
    "lt": _VoidPhrases(
        subject="Užsakymo {order} grąžinimo etiketė atšaukta",
        voided=(
            "Grąžinimo etiketė {rma}, kurią Jums atsiuntėme užsakymui {order}, atšaukta ir nebegali būti naudojama."
        ),
        do_not_send="Prašome nesiųsti siuntinio su šia etikete.",
        still_return="Jei vis tiek norite ką nors grąžinti, tiesiog atsakykite į šį laišką ir mes Jums padėsime.",
    ),
    "da": _VoidPhrases(
        subject="Din returlabel til ordre {order} er annulleret",
        voided="Returlabelen {rma}, som vi sendte dig til ordre {order}, er annulleret og kan ikke længere bruges.",
        do_not_send="Send venligst ikke en pakke med denne label.",
        still_return="Vil du stadig returnere noget, er du velkommen til at svare på denne e-mail, så hjælper vi dig.",
    ),
    "sv": _VoidPhrases(
        subject="Din returetikett för order {order} har makulerats",
        voided="Returetiketten {rma} som vi skickade till dig för order {order} har makulerats och kan inte längre "
        "användas.",
        do_not_send="Skicka inget paket med den här etiketten.",
        still_return="Vill du fortfarande returnera något är du välkommen att svara på det här mejlet, så hjälper "
        "vi dig.",
    ),
}


def void_text(
    language: str, *, customer_name: str, order_name: str, rma: str, tracking_number: str, shop_name: str
) -> LabelText:
    """Subject and plain-text body for "your return label was cancelled"; an unknown language is English."""
    if language not in _PHRASES:
        language = DEFAULT_LANGUAGE
    p = _PHRASES[language]
    paragraphs = [
        greeting(language, customer_name),
        f"{p.voided.format(rma=rma, order=order_name)} {p.do_not_send}",
        numbers(language, rma, tracking_number),
        p.still_return,
        signoff(language, shop_name),
    ]
    return LabelText(subject=p.subject.format(order=order_name), body="\n\n".join(paragraphs) + "\n")
