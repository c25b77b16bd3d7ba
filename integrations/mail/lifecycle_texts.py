"""What the customer reads after the label: a reminder that the return has not arrived (the label attached again),
and the confirmation that it did, with what happens next — in their own language.

Whole sentences per language, as in texts.py; the date of receipt is formatted by the language that uses it
(`format_day`), so it reads inside the sentence ("on Tuesday, 3 March 2026", "tiistaina 3.3.2026").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.vocabulary import DEFAULT_LANGUAGE
from integrations.mail.texts import LabelText, format_day, greeting, numbers, signoff

REPLACEMENTS = ("replacement", "exchange")  # resolutions that send a new item; anything else is refunded


@dataclass(frozen=True, slots=True)
class _ReminderPhrases:
    subject: str  # {order}
    intro: str  # {rma}, {order}
    already: str
    keep: str


@dataclass(frozen=True, slots=True)
class _ReceivedPhrases:
    subject: str  # {rma}
    received: str  # {rma}, {order}, {date}: the date as format_day writes it
    items: str
    missing: str
    refund: str
    replacement: str
    questions: str


_REMINDER: dict[str, _ReminderPhrases] = {
    "en": _ReminderPhrases(
        subject="Reminder: your return for order {order}",
        intro="We have not received your return {rma} for order {order} yet. If you still want to return the items, "
        "please send the parcel soon. Your return label is attached to this e-mail again.",
        already="If you have already sent the parcel, thank you: you can ignore this reminder.",
        keep="If you have decided to keep the items after all, simply reply to this e-mail and let us know.",
    ),
    "fi": _ReminderPhrases(
        subject="Muistutus: tilauksen {order} palautus",
        intro="Emme ole vielä vastaanottaneet palautustasi {rma} tilaukselle {order}. Jos haluat yhä palauttaa "
        "tuotteet, lähetäthän paketin pian. Palautustarra on uudelleen tämän viestin liitteenä.",
        already="Jos olet jo lähettänyt paketin, kiitos: voit jättää tämän muistutuksen huomiotta.",
        keep="Jos päätit sittenkin pitää tuotteet, vastaa tähän sähköpostiin ja kerro siitä meille.",
    ),
    "et": _ReminderPhrases(
        subject="Meeldetuletus: tellimuse {order} tagastus",
        intro="Me ei ole veel kätte saanud teie tagastust {rma} (tellimus {order}). Kui soovite tooted siiski "
        "tagastada, saatke pakk palun peagi teele. Tagastussilt on sellele kirjale uuesti lisatud.",
        already="Kui olete paki juba saatnud, täname teid: võite selle meeldetuletuse tähelepanuta jätta.",
        keep="Kui otsustasite tooted siiski endale jätta, vastake lihtsalt sellele kirjale ja andke meile teada.",
    ),
    "lv": _ReminderPhrases(
        subject="Atgādinājums: pasūtījuma {order} atgriešana",
        intro="Mēs vēl neesam saņēmuši Jūsu atgriezto sūtījumu {rma} (pasūtījums {order}). Ja joprojām vēlaties "
        "atgriezt preces, lūdzu, nosūtiet paku drīzumā. Atgriešanas etiķete atkārtoti pievienota šai vēstulei.",
        already="Ja paka jau ir nosūtīta, paldies: šo atgādinājumu varat neņemt vērā.",
        keep="Ja tomēr nolēmāt preces paturēt, vienkārši atbildiet uz šo e-pastu un dariet mums to zināmu.",
    ),
    "lt": _ReminderPhrases(
        subject="Priminimas: užsakymo {order} grąžinimas",
        intro="Dar negavome Jūsų grąžinimo {rma} (užsakymas {order}). Jei vis dar norite grąžinti prekes, prašome "
        "siuntinį išsiųsti netrukus. Grąžinimo etiketė dar kartą pridėta prie šio laiško.",
        already="Jei siuntinį jau išsiuntėte, dėkojame: šio priminimo galite nepaisyti.",
        keep="Jei vis dėlto nusprendėte prekes pasilikti, tiesiog atsakykite į šį laišką ir praneškite mums.",
    ),
    "da": _ReminderPhrases(
        subject="Påmindelse: din returnering af ordre {order}",
        intro="Vi har endnu ikke modtaget din returnering {rma} af ordre {order}. Hvis du stadig ønsker at returnere "
        "varerne, så send venligst pakken snarest. Din returlabel er vedhæftet denne e-mail igen.",
        already="Hvis du allerede har sendt pakken, tak: så kan du se bort fra denne påmindelse.",
        keep="Hvis du alligevel har besluttet at beholde varerne, så svar blot på denne e-mail og giv os besked.",
    ),
    "sv": _ReminderPhrases(
        subject="Påminnelse: din retur för order {order}",
        intro="Vi har ännu inte tagit emot din retur {rma} för order {order}. Om du fortfarande vill returnera "
        "varorna, skicka gärna paketet snart. Returetiketten finns bifogad i det här mejlet igen.",
        already="Om du redan har skickat paketet, tack: då kan du bortse från den här påminnelsen.",
        keep="Om du ändå har bestämt dig för att behålla varorna, svara bara på det här mejlet och meddela oss.",
    ),
}

_RECEIVED: dict[str, _ReceivedPhrases] = {
    "en": _ReceivedPhrases(
        subject="We have received your return {rma}",
        received="We received your return {rma} for order {order} {date}.",
        items="What we received:",
        missing="Some of the items were not in the parcel; we will contact you about them.",
        refund="Next, we check the items and refund them to your original payment method. You will receive a "
        "separate confirmation when the refund has been made.",
        replacement="Next, we check the items and send your replacement. You will receive a separate e-mail when "
        "it is on its way.",
        questions="If you have any questions, simply reply to this e-mail.",
    ),
    "fi": _ReceivedPhrases(
        subject="Olemme vastaanottaneet palautuksesi {rma}",
        received="Vastaanotimme palautuksesi {rma} tilaukselle {order} {date}.",
        items="Vastaanotetut tuotteet:",
        missing="Osa tuotteista puuttui paketista; otamme sinuun yhteyttä niiden osalta.",
        refund="Seuraavaksi tarkistamme tuotteet ja palautamme rahat alkuperäiselle maksutavallesi. Saat erillisen "
        "vahvistuksen, kun hyvitys on tehty.",
        replacement="Seuraavaksi tarkistamme tuotteet ja lähetämme sinulle korvaavan tuotteen. Saat erillisen "
        "viestin, kun se on matkalla.",
        questions="Jos sinulla on kysyttävää, vastaa tähän sähköpostiin.",
    ),
    "et": _ReceivedPhrases(
        subject="Oleme teie tagastuse {rma} kätte saanud",
        received="Saime teie tagastuse {rma} (tellimus {order}) kätte {date}.",
        items="Kätte saadud tooted:",
        missing="Osa toodetest pakis puudus; võtame nende osas teiega ühendust.",
        refund="Järgmiseks kontrollime tooted üle ja tagastame raha teie algsele makseviisile. Saate eraldi "
        "kinnituse, kui raha on tagastatud.",
        replacement="Järgmiseks kontrollime tooted üle ja saadame teile asendustoote. Saate eraldi kirja, kui see on "
        "teel.",
        questions="Küsimuste korral vastake lihtsalt sellele kirjale.",
    ),
    "lv": _ReceivedPhrases(
        subject="Esam saņēmuši Jūsu atgriezto sūtījumu {rma}",
        received="Mēs saņēmām Jūsu atgriezto sūtījumu {rma} (pasūtījums {order}) {date}.",
        items="Saņemtās preces:",
        missing="Dažu preču pakā nebija; mēs ar Jums sazināsimies par tām.",
        refund="Tālāk mēs pārbaudīsim preces un atmaksāsim naudu, izmantojot sākotnējo maksājuma veidu. Kad atmaksa "
        "būs veikta, saņemsiet atsevišķu apstiprinājumu.",
        replacement="Tālāk mēs pārbaudīsim preces un nosūtīsim Jums aizstājējpreci. Kad tā būs ceļā, saņemsiet "
        "atsevišķu e-pastu.",
        questions="Ja Jums ir kādi jautājumi, vienkārši atbildiet uz šo e-pastu.",
    ),
    "lt": _ReceivedPhrases(
        subject="Gavome Jūsų grąžinimą {rma}",
        # the date ends in "d." (diena), which also closes the sentence
        received="Jūsų grąžinimą {rma} (užsakymas {order}) gavome {date}",
        items="Gautos prekės:",
        missing="Kai kurių prekių siuntinyje nebuvo; dėl jų su Jumis susisieksime.",
        refund="Toliau patikrinsime prekes ir grąžinsime pinigus pradiniu mokėjimo būdu. Kai pinigai bus grąžinti, "
        "gausite atskirą patvirtinimą.",
        replacement="Toliau patikrinsime prekes ir išsiųsime Jums pakaitinę prekę. Kai ji bus išsiųsta, gausite "
        "atskirą laišką.",
        questions="Jei turite klausimų, tiesiog atsakykite į šį laišką.",
    ),
    "da": _ReceivedPhrases(
        subject="Vi har modtaget din returnering {rma}",
        received="Vi modtog din returnering {rma} af ordre {order} {date}.",
        items="Det modtog vi:",
        missing="Nogle af varerne var ikke i pakken; vi kontakter dig om dem.",
        refund="Nu kontrollerer vi varerne og refunderer beløbet til din oprindelige betalingsmetode. Du får en "
        "separat bekræftelse, når refusionen er gennemført.",
        replacement="Nu kontrollerer vi varerne og sender dig en erstatningsvare. Du får en separat e-mail, når den "
        "er på vej.",
        questions="Har du spørgsmål, er du velkommen til at svare på denne e-mail.",
    ),
    "sv": _ReceivedPhrases(
        subject="Vi har tagit emot din retur {rma}",
        received="Vi tog emot din retur {rma} för order {order} {date}.",
        items="Det här tog vi emot:",
        missing="Några av varorna fanns inte i paketet; vi kontaktar dig om dem.",
        refund="Nu kontrollerar vi varorna och återbetalar beloppet till ditt ursprungliga betalningssätt. Du får en "
        "separat bekräftelse när återbetalningen är gjord.",
        replacement="Nu kontrollerar vi varorna och skickar en ersättningsvara till dig. Du får ett separat mejl när "
        "den är på väg.",
        questions="Har du frågor är du välkommen att svara på det här mejlet.",
    ),
}


def reminder_text(
    language: str, *, customer_name: str, order_name: str, rma: str, tracking_number: str, shop_name: str
) -> LabelText:
    """Subject and body of "your return has not arrived yet" (the label goes with it again)."""
    language = language if language in _REMINDER else DEFAULT_LANGUAGE
    p = _REMINDER[language]
    paragraphs = [
        greeting(language, customer_name),
        p.intro.format(rma=rma, order=order_name),
        numbers(language, rma, tracking_number),
        p.already,
        p.keep,
        signoff(language, shop_name),
    ]
    return LabelText(subject=p.subject.format(order=order_name), body="\n\n".join(paragraphs) + "\n")


def received_text(
    language: str,
    *,
    customer_name: str,
    order_name: str,
    rma: str,
    received_on: date,
    items: Sequence[tuple[int, str]],
    missing: bool,
    resolution: str,
    shop_name: str,
) -> LabelText:
    """Subject and body of "we received your return on <date>; what happens next": `items` are (quantity, name)
    of what came back, `missing` says some did not, and the resolution decides the next step (a replacement is
    sent, anything else is refunded)."""
    language = language if language in _RECEIVED else DEFAULT_LANGUAGE
    p = _RECEIVED[language]
    paragraphs = [
        greeting(language, customer_name),
        p.received.format(rma=rma, order=order_name, date=format_day(language, received_on)),
    ]
    if items:
        paragraphs.append("\n".join([p.items, *(f"- {quantity} × {name}" for quantity, name in items)]))
    if missing:
        paragraphs.append(p.missing)
    paragraphs += [
        p.replacement if resolution in REPLACEMENTS else p.refund,
        p.questions,
        signoff(language, shop_name),
    ]
    return LabelText(subject=p.subject.format(rma=rma), body="\n\n".join(paragraphs) + "\n")
