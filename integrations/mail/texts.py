"""What the customer reads when their return label arrives, in their own language where we know it.

Texts are whole sentences per language rather than fragments glued together, because word order and
case endings differ (Finnish "tiistaina", Latvian "otrdien", Lithuanian "antradienį" all mean "on
Tuesday"), so a date is formatted by the language that uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from domain.vocabulary import DEFAULT_LANGUAGE, Delivery


@dataclass(frozen=True, slots=True)
class LabelText:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class _Phrases:
    subject: str  # {order}
    greeting: str  # {name}
    greeting_no_name: str
    intro: str  # {order}, {rma}
    dropoff: str
    pickup_on: str  # {date}: the date as formatted by `day`
    pickup_unscheduled: str
    tracking: str  # {tracking}
    rma: str  # {rma}
    return_address: str
    questions: str
    signoff: str  # {shop}
    day: Callable[[date], str]


def _months(names: str) -> tuple[str, ...]:
    return tuple(names.split())


_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = _months("January February March April May June July August September October November December")
# Finnish: essive ("on Tuesday"); numeric dates are what Finns write.
_FI_WEEKDAYS = ("maanantaina", "tiistaina", "keskiviikkona", "torstaina", "perjantaina", "lauantaina", "sunnuntaina")
# Estonian: adessive weekday and month ("teisipäeval, 3. märtsil 2026").
_ET_WEEKDAYS = ("esmaspäeval", "teisipäeval", "kolmapäeval", "neljapäeval", "reedel", "laupäeval", "pühapäeval")
_ET_MONTHS = _months(
    "jaanuaril veebruaril märtsil aprillil mail juunil juulil augustil septembril oktoobril novembril detsembril"
)
# Latvian: adverbial weekday, locative month ("otrdien, 2026. gada 3. martā").
_LV_WEEKDAYS = ("pirmdien", "otrdien", "trešdien", "ceturtdien", "piektdien", "sestdien", "svētdien")
_LV_MONTHS = _months("janvārī februārī martā aprīlī maijā jūnijā jūlijā augustā septembrī oktobrī novembrī decembrī")
# Lithuanian: accusative weekday, genitive month ("antradienį, 2026 m. kovo 3 d.").
_LT_WEEKDAYS = (
    "pirmadienį",
    "antradienį",
    "trečiadienį",
    "ketvirtadienį",
    "penktadienį",
    "šeštadienį",
    "sekmadienį",
)
_LT_MONTHS = _months(
    "sausio vasario kovo balandžio gegužės birželio liepos rugpjūčio rugsėjo spalio lapkričio gruodžio"
)
_DA_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_DA_MONTHS = _months("januar februar marts april maj juni juli august september oktober november december")
_SV_WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
_SV_MONTHS = _months("januari februari mars april maj juni juli augusti september oktober november december")

_PHRASES: dict[str, _Phrases] = {
    "en": _Phrases(
        subject="Your return label for order {order}",
        greeting="Hello {name},",
        greeting_no_name="Hello,",
        intro=(
            "Thank you for your return request for order {order}. Your return number is {rma}, and your return "
            "label is attached to this e-mail as a PDF."
        ),
        dropoff=(
            "Please print the label, attach it to the parcel and take the parcel to one of the carrier's "
            "drop-off points."
        ),
        pickup_on="Please print the label and attach it to the parcel. The carrier will pick up the parcel {date}.",
        pickup_unscheduled=(
            "Please print the label and attach it to the parcel. The carrier will contact you to arrange the pickup."
        ),
        tracking="Tracking number: {tracking}",
        rma="Return number: {rma}",
        return_address="Return address:",
        questions="If you have any questions, simply reply to this e-mail.",
        signoff="Kind regards,\n{shop}",
        day=lambda d: f"on {_EN_WEEKDAYS[d.weekday()]}, {d.day} {_EN_MONTHS[d.month - 1]} {d.year}",
    ),
    "fi": _Phrases(
        subject="Palautustarrasi tilaukselle {order}",
        greeting="Hei {name},",
        greeting_no_name="Hei,",
        intro=(
            "Kiitos palautuspyynnöstäsi tilaukselle {order}. Palautusnumerosi on {rma}, ja palautustarra on tämän "
            "viestin liitteenä PDF-tiedostona."
        ),
        dropoff="Tulosta tarra, kiinnitä se pakettiin ja vie paketti kuljetusyhtiön palautuspisteeseen.",
        pickup_on="Tulosta tarra ja kiinnitä se pakettiin. Kuljetusyhtiö noutaa paketin {date}.",
        pickup_unscheduled=(
            "Tulosta tarra ja kiinnitä se pakettiin. Kuljetusyhtiö ottaa sinuun yhteyttä noudon sopimiseksi."
        ),
        tracking="Seurantanumero: {tracking}",
        rma="Palautusnumero: {rma}",
        return_address="Palautusosoite:",
        questions="Jos sinulla on kysyttävää, vastaa tähän sähköpostiin.",
        signoff="Ystävällisin terveisin\n{shop}",
        day=lambda d: f"{_FI_WEEKDAYS[d.weekday()]} {d.day}.{d.month}.{d.year}",
    ),
    "et": _Phrases(
        subject="Teie tellimuse {order} tagastussilt",
        greeting="Tere, {name}!",
        greeting_no_name="Tere!",
        intro=(
            "Täname, et esitasite tellimuse {order} tagastustaotluse. Teie tagastuse number on {rma} ja "
            "tagastussilt on lisatud sellele kirjale PDF-failina."
        ),
        dropoff="Palun printige silt välja, kinnitage see pakile ja viige pakk vedaja pakipunkti.",
        pickup_on="Palun printige silt välja ja kinnitage see pakile. Kuller tuleb pakile järele {date}.",
        pickup_unscheduled=(
            "Palun printige silt välja ja kinnitage see pakile. Kuller võtab teiega ühendust, et leppida kokku "
            "paki järeletulemise aeg."
        ),
        tracking="Jälgimisnumber: {tracking}",
        rma="Tagastuse number: {rma}",
        return_address="Tagastusaadress:",
        questions="Küsimuste korral vastake lihtsalt sellele kirjale.",
        signoff="Lugupidamisega\n{shop}",
        day=lambda d: f"{_ET_WEEKDAYS[d.weekday()]}, {d.day}. {_ET_MONTHS[d.month - 1]} {d.year}",
    ),
    "lv": _Phrases(
        subject="Jūsu atgriešanas etiķete pasūtījumam {order}",
        greeting="Labdien, {name}!",
        greeting_no_name="Labdien!",
        intro=(
            "Paldies par atgriešanas pieprasījumu pasūtījumam {order}. Jūsu atgriešanas numurs ir {rma}, un "
            "atgriešanas etiķete ir pievienota šai vēstulei PDF formātā."
        ),
        dropoff=(
            "Lūdzu, izdrukājiet etiķeti, piestipriniet to pakai un nododiet paku kādā no pārvadātāja "
            "pieņemšanas punktiem."
        ),
        pickup_on="Lūdzu, izdrukājiet etiķeti un piestipriniet to pakai. Kurjers ieradīsies pēc pakas {date}.",
        pickup_unscheduled=(
            "Lūdzu, izdrukājiet etiķeti un piestipriniet to pakai. Kurjers sazināsies ar Jums, lai vienotos "
            "par pakas paņemšanas laiku."
        ),
        tracking="Sūtījuma izsekošanas numurs: {tracking}",
        rma="Atgriešanas numurs: {rma}",
        return_address="Atgriešanas adrese:",
        questions="Ja Jums ir kādi jautājumi, vienkārši atbildiet uz šo e-pastu.",
        signoff="Ar cieņu\n{shop}",
        day=lambda d: f"{_LV_WEEKDAYS[d.weekday()]}, {d.year}. gada {d.day}. {_LV_MONTHS[d.month - 1]}",
    ),
    "lt": _Phrases(
        subject="Jūsų užsakymo {order} grąžinimo etiketė",
        # Lithuanian addresses people in the vocative ("Jonai", "Rūta"), which cannot be derived
        # reliably from a name; a nominative name in a greeting reads as a mistake, so none is used.
        greeting="Sveiki,",
        greeting_no_name="Sveiki,",
        intro=(
            "Dėkojame už užsakymo {order} grąžinimo užklausą. Jūsų grąžinimo numeris yra {rma}, o grąžinimo "
            "etiketė pridėta prie šio laiško PDF formatu."
        ),
        dropoff=(
            "Atsispausdinkite etiketę, priklijuokite ją ant siuntinio ir pristatykite siuntinį į vežėjo siuntų "
            "priėmimo punktą."
        ),
        pickup_on="Atsispausdinkite etiketę ir priklijuokite ją ant siuntinio. Kurjeris paims siuntinį {date}",
        pickup_unscheduled=(
            "Atsispausdinkite etiketę ir priklijuokite ją ant siuntinio. Kurjeris su Jumis susisieks dėl "
            "siuntinio paėmimo laiko."
        ),
        tracking="Siuntos sekimo numeris: {tracking}",
        rma="Grąžinimo numeris: {rma}",
        return_address="Grąžinimo adresas:",
        questions="Jei turite klausimų, tiesiog atsakykite į šį laišką.",
        signoff="Pagarbiai\n{shop}",
        # Ends in "d." (diena), which also closes the sentence: pickup_on has no final full stop.
        day=lambda d: f"{_LT_WEEKDAYS[d.weekday()]}, {d.year} m. {_LT_MONTHS[d.month - 1]} {d.day} d.",
    ),
    "da": _Phrases(
        subject="Din returlabel til ordre {order}",
        greeting="Hej {name},",
        greeting_no_name="Hej,",
        intro=(
            "Tak for din returanmodning for ordre {order}. Dit returnummer er {rma}, og din returlabel er "
            "vedhæftet denne e-mail som PDF."
        ),
        dropoff="Print venligst labelen, sæt den på pakken, og aflever pakken i en af fragtfirmaets pakkeshops.",
        pickup_on="Print venligst labelen, og sæt den på pakken. Fragtfirmaet henter pakken {date}.",
        pickup_unscheduled=(
            "Print venligst labelen, og sæt den på pakken. Fragtfirmaet kontakter dig for at aftale afhentningen."
        ),
        tracking="Sporingsnummer: {tracking}",
        rma="Returnummer: {rma}",
        return_address="Returadresse:",
        questions="Har du spørgsmål, er du velkommen til at svare på denne e-mail.",
        signoff="Venlig hilsen\n{shop}",
        day=lambda d: f"{_DA_WEEKDAYS[d.weekday()]} den {d.day}. {_DA_MONTHS[d.month - 1]} {d.year}",
    ),
    "sv": _Phrases(
        subject="Din returetikett för order {order}",
        greeting="Hej {name},",
        greeting_no_name="Hej,",
        intro=(
            "Tack för din returförfrågan för order {order}. Ditt returnummer är {rma}, och returetiketten finns "
            "bifogad i det här mejlet som PDF."
        ),
        dropoff="Skriv ut etiketten, fäst den på paketet och lämna paketet hos ett av transportörens ombud.",
        pickup_on="Skriv ut etiketten och fäst den på paketet. Transportören hämtar paketet {date}.",
        pickup_unscheduled=(
            "Skriv ut etiketten och fäst den på paketet. Transportören kontaktar dig för att boka upphämtningen."
        ),
        tracking="Spårningsnummer: {tracking}",
        rma="Returnummer: {rma}",
        return_address="Returadress:",
        questions="Har du frågor är du välkommen att svara på det här mejlet.",
        signoff="Vänliga hälsningar\n{shop}",
        day=lambda d: f"{_SV_WEEKDAYS[d.weekday()]} den {d.day} {_SV_MONTHS[d.month - 1]} {d.year}",
    ),
}


def first_name(customer_name: str) -> str:
    """The first word of the name the order carries ("Anna Bērziņa" → "Anna"); "" when there is none."""
    words = (customer_name or "").split()
    return words[0] if words else ""


def format_day(language: str, day: date) -> str:
    """A pickup day as it reads inside that language's sentence ("on Tuesday, 3 March 2026")."""
    return _PHRASES.get(language, _PHRASES[DEFAULT_LANGUAGE]).day(day)


def greeting(language: str, customer_name: str) -> str:
    """The greeting ("Hello Anna,") in `language`; without a name where the order has none."""
    p = _PHRASES.get(language, _PHRASES[DEFAULT_LANGUAGE])
    name = first_name(customer_name)
    return p.greeting.format(name=name) if name else p.greeting_no_name


def numbers(language: str, rma: str, tracking_number: str) -> str:
    """The tracking and return numbers, one a line, as the customer may quote them."""
    p = _PHRASES.get(language, _PHRASES[DEFAULT_LANGUAGE])
    lines = [p.rma.format(rma=rma)]
    if tracking_number:
        lines.insert(0, p.tracking.format(tracking=tracking_number))
    return "\n".join(lines)


def signoff(language: str, shop_name: str) -> str:
    return _PHRASES.get(language, _PHRASES[DEFAULT_LANGUAGE]).signoff.format(shop=shop_name)


# The heading over the nearest drop-off points (carriers with service points: Shipit, PostNord)
_DROP_OFF_POINTS = {
    "en": "The nearest drop-off points:",
    "fi": "Lähimmät palautuspisteet:",
    "et": "Lähimad pakkide vastuvõtukohad:",
    "lv": "Tuvākās paku nodošanas vietas:",
    "lt": "Artimiausios siuntų priėmimo vietos:",
    "da": "De nærmeste indleveringssteder:",
    "sv": "De närmaste inlämningsställena:",
}


def drop_off_points(language: str, points: Sequence[str]) -> str:
    """The nearest drop-off points as a paragraph (one a line); "" when there are none."""
    lines = [f"• {p.strip()}" for p in points if p.strip()]
    if not lines:
        return ""
    return "\n".join([_DROP_OFF_POINTS.get(language, _DROP_OFF_POINTS[DEFAULT_LANGUAGE]), *lines])


def label_text(
    language: str,
    *,
    customer_name: str,
    order_name: str,
    rma: str,
    tracking_number: str,
    delivery: str,
    pickup_date: date | None,
    shop_name: str,
    return_address: Sequence[str] = (),
    service_points: Sequence[str] = (),
) -> LabelText:
    """Subject and plain-text body for "your return label"; an unknown language falls back to English."""
    p = _PHRASES.get(language, _PHRASES[DEFAULT_LANGUAGE])
    if Delivery.parse(delivery) is Delivery.DROP_OFF:
        how = p.dropoff
    elif pickup_date is not None:
        how = p.pickup_on.format(date=p.day(pickup_date))
    else:
        how = p.pickup_unscheduled
    paragraphs = [
        greeting(language, customer_name),
        p.intro.format(order=order_name, rma=rma),
        how,
        numbers(language, rma, tracking_number),
    ]
    points = drop_off_points(language, service_points) if Delivery.parse(delivery) is Delivery.DROP_OFF else ""
    if points:
        paragraphs.insert(3, points)
    lines = [line for line in return_address if line.strip()]
    if lines:
        paragraphs.append("\n".join([p.return_address, *lines]))
    paragraphs += [p.questions, signoff(language, shop_name)]
    return LabelText(subject=p.subject.format(order=order_name), body="\n\n".join(paragraphs) + "\n")
