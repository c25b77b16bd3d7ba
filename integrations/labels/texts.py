"""Texts of the RMA slip (the page that goes inside the parcel), one dict per customer language.

The label page itself stays in English: it is read by the carrier's staff and sorting, not the customer.
Dates are written the way each language writes them; `{date}` and `{phone}` are filled in by the slip.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict


class SlipTexts(TypedDict):
    title: str
    order: str
    rma: str
    tracking: str
    date: str
    items: str
    sku: str
    reason: str
    how: str
    pack: list[str]  # steps before handing the parcel over, whatever the delivery
    drop_off: str
    pickup: str  # {date}
    pickup_phone: str  # {phone}
    date_format: str  # str.format pattern over `d`
    reasons: dict[str, str]  # Shopify ReturnReason codes, lower case


EN: SlipTexts = {
    "title": "Return slip",
    "order": "Order",
    "rma": "Return number (RMA)",
    "tracking": "Tracking number",
    "date": "Date",
    "items": "Items returned",
    "sku": "SKU",
    "reason": "Reason",
    "how": "How to send it back",
    "pack": [
        "Put this slip inside the parcel with the items.",
        "Seal the parcel and attach the return label to the outside, covering any old labels.",
    ],
    "drop_off": "Take the parcel to a drop-off point of the carrier. Keep the receipt until your return "
    "has been processed.",
    "pickup": "The carrier collects the parcel on {date}. Have it ready at the sender address.",
    "pickup_phone": "The driver may call you at {phone}.",
    "date_format": "{d:%Y-%m-%d}",
    "reasons": {
        "color": "Colour",
        "defective": "Defective",
        "not_as_described": "Not as described",
        "other": "Other",
        "size_too_large": "Too large",
        "size_too_small": "Too small",
        "style": "Style",
        "unknown": "Not given",
        "unwanted": "Changed my mind",
        "wrong_item": "Wrong item received",
    },
}

FI: SlipTexts = {
    "title": "Palautuslomake",
    "order": "Tilaus",
    "rma": "Palautusnumero (RMA)",
    "tracking": "Seurantatunnus",
    "date": "Päivämäärä",
    "items": "Palautettavat tuotteet",
    "sku": "Tuotekoodi",
    "reason": "Syy",
    "how": "Näin palautat paketin",
    "pack": [
        "Laita tämä lomake pakettiin tuotteiden mukaan.",
        "Sulje paketti ja kiinnitä palautuksen osoitekortti paketin päälle niin, että vanhat osoitetarrat peittyvät.",
    ],
    "drop_off": "Vie paketti kuljetusyhtiön palautuspisteeseen. Säilytä kuitti, kunnes palautuksesi on käsitelty.",
    "pickup": "Kuljetusyhtiö noutaa paketin {date}. Pidä paketti valmiina lähettäjän osoitteessa.",
    "pickup_phone": "Kuljettaja voi soittaa numeroon {phone}.",
    "date_format": "{d.day}.{d.month}.{d.year}",
    "reasons": {
        "color": "Väri",
        "defective": "Viallinen",
        "not_as_described": "Ei vastaa kuvausta",
        "other": "Muu",
        "size_too_large": "Liian suuri",
        "size_too_small": "Liian pieni",
        "style": "Tyyli",
        "unknown": "Ei ilmoitettu",
        "unwanted": "Muutin mieleni",
        "wrong_item": "Väärä tuote",
    },
}

ET: SlipTexts = {
    "title": "Tagastusvorm",
    "order": "Tellimus",
    "rma": "Tagastuse number (RMA)",
    "tracking": "Jälgimiskood",
    "date": "Kuupäev",
    "items": "Tagastatavad tooted",
    "sku": "Tootekood",
    "reason": "Põhjus",
    "how": "Kuidas paki tagasi saata",
    "pack": [
        "Pange see vorm koos toodetega pakki.",
        "Sulgege pakk ja kinnitage tagastussilt paki välisküljele nii, et vanad sildid oleksid kaetud.",
    ],
    "drop_off": "Viige pakk vedaja teeninduspunkti. Hoidke kviitung alles, kuni tagastus on käsitletud.",
    "pickup": "Vedaja tuleb pakile järele {date}. Hoidke pakk saatja aadressil valmis.",
    "pickup_phone": "Kuller võib helistada numbrile {phone}.",
    "date_format": "{d:%d.%m.%Y}",
    "reasons": {
        "color": "Värv",
        "defective": "Defektne",
        "not_as_described": "Ei vasta kirjeldusele",
        "other": "Muu",
        "size_too_large": "Liiga suur",
        "size_too_small": "Liiga väike",
        "style": "Stiil",
        "unknown": "Määramata",
        "unwanted": "Ei soovi enam",
        "wrong_item": "Vale toode",
    },
}

LV: SlipTexts = {
    "title": "Atgriešanas veidlapa",
    "order": "Pasūtījums",
    "rma": "Atgriešanas numurs (RMA)",
    "tracking": "Izsekošanas numurs",
    "date": "Datums",
    "items": "Atgrieztās preces",
    "sku": "Preces kods",
    "reason": "Iemesls",
    "how": "Kā nosūtīt atpakaļ",
    "pack": [
        "Ielieciet šo veidlapu sūtījumā kopā ar precēm.",
        "Aizveriet sūtījumu un piestipriniet atgriešanas uzlīmi tā ārpusē, pārklājot vecās uzlīmes.",
    ],
    "drop_off": "Nododiet sūtījumu pārvadātāja pieņemšanas punktā. Saglabājiet čeku, līdz atgriešana ir apstrādāta.",
    "pickup": "Pārvadātājs sūtījumu paņems {date}. Sagatavojiet to sūtītāja adresē.",
    "pickup_phone": "Kurjers var zvanīt uz {phone}.",
    "date_format": "{d:%d.%m.%Y}",
    "reasons": {
        "color": "Krāsa",
        "defective": "Bojāta prece",
        "not_as_described": "Neatbilst aprakstam",
        "other": "Cits",
        "size_too_large": "Par lielu",
        "size_too_small": "Par mazu",
        "style": "Stils",
        "unknown": "Nav norādīts",
        "unwanted": "Pārdomāju",
        "wrong_item": "Saņemta nepareiza prece",
    },
}

LT: SlipTexts = {
    "title": "Grąžinimo forma",
    "order": "Užsakymas",
    "rma": "Grąžinimo numeris (RMA)",
    "tracking": "Siuntos sekimo numeris",
    "date": "Data",
    "items": "Grąžinamos prekės",
    "sku": "Prekės kodas",
    "reason": "Priežastis",
    "how": "Kaip išsiųsti atgal",
    "pack": [
        "Įdėkite šią formą į siuntą kartu su prekėmis.",
        "Užklijuokite siuntą ir priklijuokite grąžinimo etiketę ant jos išorės, uždengdami senas etiketes.",
    ],
    "drop_off": "Pristatykite siuntą į vežėjo siuntų priėmimo punktą. Saugokite kvitą, kol grąžinimas bus apdorotas.",
    "pickup": "Vežėjas paims siuntą {date}. Paruoškite ją siuntėjo adresu.",
    "pickup_phone": "Kurjeris gali skambinti numeriu {phone}.",
    "date_format": "{d:%Y-%m-%d}",
    "reasons": {
        "color": "Spalva",
        "defective": "Su defektu",
        "not_as_described": "Neatitinka aprašymo",
        "other": "Kita",
        "size_too_large": "Per didelis",
        "size_too_small": "Per mažas",
        "style": "Stilius",
        "unknown": "Nenurodyta",
        "unwanted": "Persigalvojau",
        "wrong_item": "Gauta ne ta prekė",
    },
}

DA: SlipTexts = {
    "title": "Returseddel",
    "order": "Ordre",
    "rma": "Returnummer (RMA)",
    "tracking": "Sporingsnummer",
    "date": "Dato",
    "items": "Returnerede varer",
    "sku": "Varenr.",
    "reason": "Årsag",
    "how": "Sådan sender du pakken retur",
    "pack": [
        "Læg denne seddel i pakken sammen med varerne.",
        "Luk pakken, og sæt returlabelen på ydersiden, så den dækker eventuelle gamle labels.",
    ],
    "drop_off": "Aflever pakken i et af fragtfirmaets indleveringssteder. Gem kvitteringen, indtil returneringen "
    "er behandlet.",
    "pickup": "Fragtfirmaet afhenter pakken den {date}. Hav den klar på afsenderadressen.",
    "pickup_phone": "Chaufføren kan ringe til dig på {phone}.",
    "date_format": "{d:%d.%m.%Y}",
    "reasons": {
        "color": "Farve",
        "defective": "Defekt",
        "not_as_described": "Ikke som beskrevet",
        "other": "Andet",
        "size_too_large": "For stor",
        "size_too_small": "For lille",
        "style": "Stil",
        "unknown": "Ikke oplyst",
        "unwanted": "Fortrudt køb",
        "wrong_item": "Forkert vare modtaget",
    },
}

SV: SlipTexts = {
    "title": "Retursedel",
    "order": "Order",
    "rma": "Returnummer (RMA)",
    "tracking": "Spårningsnummer",
    "date": "Datum",
    "items": "Returnerade varor",
    "sku": "Artikelnr",
    "reason": "Orsak",
    "how": "Så skickar du tillbaka paketet",
    "pack": [
        "Lägg den här sedeln i paketet tillsammans med varorna.",
        "Förslut paketet och sätt returetiketten på utsidan så att den täcker eventuella gamla etiketter.",
    ],
    "drop_off": "Lämna paketet hos ett av transportörens ombud. Spara kvittot tills returen har hanterats.",
    "pickup": "Transportören hämtar paketet {date}. Ha det redo på avsändaradressen.",
    "pickup_phone": "Föraren kan ringa dig på {phone}.",
    "date_format": "{d:%Y-%m-%d}",
    "reasons": {
        "color": "Färg",
        "defective": "Defekt",
        "not_as_described": "Inte som beskrivet",
        "other": "Annat",
        "size_too_large": "För stor",
        "size_too_small": "För liten",
        "style": "Stil",
        "unknown": "Ej angivet",
        "unwanted": "Ångrat köp",
        "wrong_item": "Fel vara levererad",
    },
}

TEXTS: dict[str, SlipTexts] = {"en": EN, "fi": FI, "et": ET, "lv": LV, "lt": LT, "da": DA, "sv": SV}


def texts_for(language: str) -> SlipTexts:
    """The texts for a language tag as stores give it (`fi`, `fi-FI`, `sv_SE`, `LV`); English otherwise."""
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    return TEXTS.get(primary, EN)


def format_date(texts: SlipTexts, day: date) -> str:
    return texts["date_format"].format(d=day)


def reason_text(texts: SlipTexts, reason: str) -> str:
    """A known return-reason code in the slip's language; anything else (an agent's own words) as it is."""
    return texts["reasons"].get(reason.strip().lower(), reason.strip())
