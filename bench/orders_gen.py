"""Synthetic Shopify orders exports for the benchmarks: deterministic, fast, Nordic/Baltic customers.

`write_export` writes the same columns as Shopify's orders export (one row per line item, the order-level
columns on the first row of each order) plus the Tracking Number / Tracking Company / Tracking URL /
Locale columns the importer also reads. Besides plain orders it writes gifts (another person's shipping name
and phone), cash-on-delivery orders (no e-mail, the number in the Phone column) and orders with the e-mail
alone (no name), and phone numbers in the forms exports have (`+358 40…`, `'+358…`, `00358…`).
`sample_queries` returns what an agent would type to find orders that the same generator wrote: numbers,
e-mails, full and partial names, gift recipients' names, phone numbers, tracking numbers, and names that
match nothing.

Everything a query can target (the customer of order k, whether it shipped, its tracking number) is a
pure function of the seed and the order's index, so queries can be chosen without reading the file back;
the rest of each order (items, prices, times, statuses) comes from one seeded `random.Random` stream.
The same seed and arguments always give byte-identical files. Bump `VERSION` whenever the output changes:
the benchmarks use it to decide whether a database they built earlier can be reused.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from domain.text import fold

VERSION = 2
SEED = 20260901
FIRST_NUMBER = 1001  # Shopify's first order is #1001
CUSTOMERS = 600_000  # customer k's orders share one name, e-mail and address
FULFILLED_PERCENT = 70  # with a (unique) tracking number; the rest are not shipped yet
START = 1_672_531_200  # 2023-01-01 00:00:00 UTC: created_at of the first order
# what agents meet besides the plain order (percent of orders): a gift (another person's shipping name and phone),
# cash on delivery (no e-mail; the number in the Phone column), an order with the e-mail alone (no name at all)
GIFT_PERCENT = 5
COD_PERCENT = 3
NAMELESS_PERCENT = 3

COLUMNS = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at", "Accepts Marketing",
    "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Shipping Method",
    "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price", "Lineitem sku",
    "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip", "Billing Province",
    "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street", "Shipping Address1", "Shipping Address2",
    "Shipping Company", "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone",
    "Notes", "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level", "Source",
    "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value",
    "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number", "Duties",
    "Billing Province Name", "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References", "Tracking Number", "Tracking Company", "Tracking URL", "Locale",
)  # fmt: skip
_AT = {name: i for i, name in enumerate(COLUMNS)}


# --- countries and names ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Carrier:
    company: str
    method: str
    shipping_cents: int
    prefix: str  # tracking number = prefix + 8 digits + suffix
    suffix: str
    url: str  # with {} for the tracking number


@dataclass(frozen=True)
class _Country:
    code: str
    locale: str
    currency: str
    vat: str  # "Tax 1 Name"
    vat_rate: float
    utc_offset: str
    phone_prefix: str
    carrier: _Carrier
    male: tuple[str, ...]
    female: tuple[str, ...]
    stems_a: tuple[str, ...]  # surname = stem_a + stem_b + suffix
    stems_b: tuple[str, ...]
    suffixes_male: tuple[str, ...]
    suffixes_female: tuple[str, ...]  # same length as suffixes_male: index i is the female form of i
    cities: tuple[tuple[str, str], ...]  # (city, zip prefix)
    zip_format: str  # {p}: the city's zip prefix, {n}: five random digits (cut with a precision, e.g. {n:.3})
    streets: tuple[str, ...]
    street_format: str  # {street} {number} {flat}


_POSTI = _Carrier(
    "Posti", "Posti Parcel Locker", 590, "JJFI648321000", "", "https://www.posti.fi/fi/seuranta#/lahetys/{}"
)
_POSTNORD_SE = _Carrier(
    "PostNord", "PostNord MyPack Collect", 5900, "003735004895", "", "https://tracking.postnord.com/se/?id={}"
)
_POSTNORD_DK = _Carrier(
    "PostNord", "PostNord Pakkeboks", 4500, "003707123456", "", "https://tracking.postnord.com/dk/?id={}"
)
_OMNIVA = _Carrier("Omniva", "Omniva parcel machine", 390, "CC4", "EE", "https://www.omniva.ee/track?barcode={}")
_DPD_LV = _Carrier(
    "DPD", "DPD Pickup", 490, "058088", "", "https://www.dpdgroup.com/lv/mydpd/my-parcels/incoming?parcelNumber={}"
)
_DPD_LT = _Carrier(
    "DPD", "DPD Pickup", 490, "058099", "", "https://www.dpdgroup.com/lt/mydpd/my-parcels/incoming?parcelNumber={}"
)

_COUNTRIES = (
    _Country(
        "FI", "fi", "EUR", "FI VAT 25.5%", 0.255, "+0200", "+358 40", _POSTI,
        male=("Mikko", "Jari", "Juha", "Timo", "Matti", "Antti", "Ville", "Jaakko", "Eero", "Väinö", "Tuomas",
              "Sakari", "Ilkka"),
        female=("Päivi", "Aino", "Sanna", "Tiina", "Satu", "Leena", "Hanna", "Minna", "Eeva", "Kaisa", "Jenni",
                "Sirpa", "Tuulikki"),
        stems_a=("Vir", "Mä", "Kos", "Jär", "Leh", "Sa", "Nie", "Hei", "Lai", "Kor", "Pel", "Toi", "Ran", "Häk",
                 "Ojan", "Kal", "Rii", "Vä", "Suo", "Hon"),
        stems_b=("", "ta", "ki", "ke", "vi", "to", "lo", "mi", "kki", "pe"),
        suffixes_male=("nen", "la", "lä", "niemi", "mäki", "koski", "salo", "järvi", "lahti", "aho"),
        suffixes_female=("nen", "la", "lä", "niemi", "mäki", "koski", "salo", "järvi", "lahti", "aho"),
        cities=(("Helsinki", "00"), ("Tampere", "33"), ("Turku", "20"), ("Oulu", "90"), ("Espoo", "02"),
                ("Jyväskylä", "40"), ("Kuopio", "70"), ("Lahti", "15")),
        zip_format="{p}{n:.3}",
        streets=("Hämeenkatu", "Mannerheimintie", "Kirkkokatu", "Aleksanterinkatu", "Puistokatu", "Yliopistonkatu",
                 "Läntinen Pitkäkatu", "Itäinen Rantakatu"),
        street_format="{street} {number} B {flat}",
    ),
    _Country(
        "SE", "sv", "SEK", "SE VAT 25%", 0.25, "+0100", "+46 70", _POSTNORD_SE,
        male=("Åke", "Lars", "Anders", "Björn", "Göran", "Per", "Nils", "Olof", "Sven", "Karl-Åke", "Mårten",
              "Håkan", "Jörgen"),
        female=("Åsa", "Anna", "Karin", "Märta", "Ingrid", "Linnéa", "Sofia", "Elin", "Maja", "Ebba", "Signe",
                "Kerstin", "Birgitta"),
        stems_a=("Lind", "Berg", "Ek", "Sjö", "Ny", "Dahl", "Holm", "Sand", "Hag", "Fors", "Åker", "Björk", "Ström",
                 "Gran", "Lund", "Sköld", "Häll", "Ros", "Malm", "Wall"),
        stems_b=("", "e", "ö", "a", "ing", "s", "el", "ar", "on", "å"),
        suffixes_male=("son", "berg", "ström", "lund", "qvist", "gren", "blad", "dahl", "holm", "sten"),
        suffixes_female=("son", "berg", "ström", "lund", "qvist", "gren", "blad", "dahl", "holm", "sten"),
        cities=(("Stockholm", "11"), ("Göteborg", "41"), ("Malmö", "21"), ("Uppsala", "75"), ("Västerås", "72"),
                ("Örebro", "70"), ("Linköping", "58"), ("Umeå", "90")),
        zip_format="{p}{n:.1} {n:.2}",
        streets=("Götgatan", "Drottninggatan", "Storgatan", "Kungsgatan", "Södra Förstadsgatan", "Vasagatan",
                 "Östra Hamngatan", "Sveavägen"),
        street_format="{street} {number}",
    ),
    _Country(
        "DK", "da", "DKK", "DK VAT 25%", 0.25, "+0100", "+45 2", _POSTNORD_DK,
        male=("Søren", "Mads", "Rasmus", "Jens", "Niels", "Frederik", "Kasper", "Bjørn", "Jørgen", "Troels",
              "Asger", "Ebbe", "Morten"),
        female=("Mette", "Frederikke", "Line", "Sidsel", "Ida", "Freja", "Karoline", "Tove", "Lærke", "Astrid",
                "Bodil", "Gry", "Dorthe"),
        stems_a=("Jør", "Sø", "Ras", "Niel", "Pe", "Lar", "Han", "Mad", "Chris", "Jen", "Kjær", "Mø", "Ander",
                 "Thom", "Fre", "Peder", "Ol", "Bro", "Dam", "Hviid"),
        stems_b=("", "en", "gen", "mus", "ter", "s", "ul", "ø", "er", "i"),
        suffixes_male=("sen", "gaard", "holm", "strup", "bjerg", "lund", "skov", "dal", "toft", "høj"),
        suffixes_female=("sen", "gaard", "holm", "strup", "bjerg", "lund", "skov", "dal", "toft", "høj"),
        cities=(("København N", "22"), ("Aarhus C", "80"), ("Odense C", "50"), ("Aalborg", "90"), ("Esbjerg", "67"),
                ("Roskilde", "40"), ("Vejle", "71"), ("Herning", "74")),
        zip_format="{p}{n:.2}",
        streets=("Nørrebrogade", "Vestergade", "Østerbrogade", "Åboulevarden", "Søndergade", "Algade", "Bredgade",
                 "Jernbanegade"),
        street_format="{street} {number}, {flat}. tv",
    ),
    _Country(
        "EE", "et", "EUR", "EE VAT 24%", 0.24, "+0200", "+372 5", _OMNIVA,
        male=("Jüri", "Tõnu", "Margus", "Priit", "Rein", "Toomas", "Andres", "Mart", "Jaan", "Urmas", "Indrek",
              "Tiit", "Ülo"),
        female=("Õie", "Liisa", "Küllike", "Kadri", "Triin", "Maarja", "Piret", "Siiri", "Ülle", "Mari", "Kersti",
                "Eha", "Helju"),
        stems_a=("Sõ", "Tam", "Kas", "Põl", "Kuu", "Mä", "Lepp", "Rebas", "Ilves", "Kivi", "Paju", "Vaher", "Sepp",
                 "Karu", "Lõh", "Tõn", "Mõis", "Hein", "Pärn", "Kõiv"),
        stems_b=("", "e", "i", "a", "ik", "u", "ste", "ro", "ne", "õ"),
        suffixes_male=("mäe", "mets", "saar", "oja", "pere", "maa", "küla", "vee", "järv", "ots"),
        suffixes_female=("mäe", "mets", "saar", "oja", "pere", "maa", "küla", "vee", "järv", "ots"),
        cities=(("Tallinn", "10"), ("Tartu", "51"), ("Pärnu", "80"), ("Narva", "20"), ("Viljandi", "71"),
                ("Rakvere", "44"), ("Kuressaare", "93"), ("Haapsalu", "90")),
        zip_format="{p}{n:.3}",
        streets=("Narva mnt", "Rüütli", "Pärnu mnt", "Tartu mnt", "Pikk", "Jõe", "Väike-Karja", "Lõuna"),
        street_format="{street} {number}-{flat}",
    ),
    _Country(
        "LV", "lv", "EUR", "LV VAT 21%", 0.21, "+0200", "+371 2", _DPD_LV,
        male=("Jānis", "Matīss", "Andris", "Pēteris", "Kārlis", "Mārtiņš", "Edgars", "Oskars", "Raimonds", "Valdis",
              "Gunārs", "Artūrs", "Roberts"),
        female=("Ilze", "Līga", "Inese", "Dace", "Zane", "Baiba", "Anete", "Kristīne", "Laura", "Ieva", "Dzintra",
                "Māra", "Agnese"),
        stems_a=("Bērz", "Kal", "Ozol", "Lie", "Krūm", "Zar", "Vīt", "Čak", "Strazd", "Liep", "Egl", "Kļav",
                 "Priež", "Vilk", "Pūt", "Sīl", "Grav", "Dūm", "Ābol", "Rož"),
        stems_b=("", "ēj", "ān", "up", "ad", "īt", "en", "ar", "ul", "ev"),
        suffixes_male=("iņš", "s", "ulis", "ītis", "kalns", "nieks", "ons", "ējs", "ats", "ers"),
        suffixes_female=("iņa", "a", "ule", "īte", "kalne", "niece", "one", "ēja", "ate", "ere"),
        cities=(("Rīga", "LV-10"), ("Daugavpils", "LV-54"), ("Liepāja", "LV-34"), ("Jelgava", "LV-30"),
                ("Jūrmala", "LV-20"), ("Ventspils", "LV-36"), ("Rēzekne", "LV-46"), ("Valmiera", "LV-42")),
        zip_format="{p}{n:.2}",
        streets=("Brīvības iela", "Tērbatas iela", "Lielā iela", "Krišjāņa Barona iela", "Elizabetes iela",
                 "Dzirnavu iela", "Skolas iela", "Rīgas iela"),
        street_format="{street} {number}-{flat}",
    ),
    _Country(
        "LT", "lt", "EUR", "LT VAT 21%", 0.21, "+0200", "+370 6", _DPD_LT,
        male=("Vytautas", "Jonas", "Mindaugas", "Tomas", "Darius", "Giedrius", "Andrius", "Žilvinas", "Algirdas",
              "Rimantas", "Povilas", "Kęstutis", "Saulius"),
        female=("Rūta", "Eglė", "Gintarė", "Aušra", "Jurgita", "Rasa", "Milda", "Dalia", "Vilija", "Skaistė",
                "Austėja", "Ugnė", "Živilė"),
        stems_a=("Žuk", "Kučin", "Petr", "Jon", "Kaz", "Vaitk", "Rim", "Balt", "Sav", "Gud", "Mack", "Stank", "Butk",
                 "Urb", "Nav", "Šimk", "Jank", "Lukš", "Grig", "Paul"),
        stems_b=("", "i", "ev", "ul", "ar", "on", "ėl", "ut", "and", "ys"),
        suffixes_male=("as", "aitis", "auskas", "ūnas", "ėnas", "ys", "evičius", "onis", "ulis", "ika"),
        suffixes_female=("ienė", "aitė", "auskienė", "ūnienė", "ėnaitė", "ytė", "evičiūtė", "onienė", "ulytė",
                         "ikienė"),
        cities=(("Vilnius", "LT-0"), ("Kaunas", "LT-4"), ("Klaipėda", "LT-9"), ("Šiauliai", "LT-7"),
                ("Panevėžys", "LT-3"), ("Alytus", "LT-6"), ("Marijampolė", "LT-6"), ("Utena", "LT-2")),
        zip_format="{p}{n:.4}",
        streets=("Gedimino pr.", "Kražių g.", "Tiltų g.", "Laisvės al.", "Vilniaus g.", "Pylimo g.", "Savanorių pr.",
                 "Taikos pr."),
        street_format="{street} {number}-{flat}",
    ),
)  # fmt: skip
_COUNTRY_WEIGHTS = (25, 25, 15, 10, 12, 13)  # percent of customers: FI, SE, DK, EE, LV, LT
_COUNTRY_BY_PERCENT = tuple(c for c, w in zip(_COUNTRIES, _COUNTRY_WEIGHTS, strict=True) for _ in range(w))
_MIDDLE_NAME_PERCENT = 8


def _surnames(country: _Country, suffixes: tuple[str, ...]) -> tuple[str, ...]:
    names = dict.fromkeys(a + b + s for a in country.stems_a for b in country.stems_b for s in suffixes)
    return tuple(names)


_SURNAMES = {
    c.code: (_surnames(c, c.suffixes_male), _surnames(c, c.suffixes_female)) for c in _COUNTRIES
}  # (male, female)


def first_names() -> list[str]:
    return [name for c in _COUNTRIES for name in (*c.male, *c.female)]


def distinct_full_names() -> int:
    """How many different two-part names the generator can produce (middle names not counted)."""
    return sum(len(c.male) * len(_SURNAMES[c.code][0]) + len(c.female) * len(_SURNAMES[c.code][1]) for c in _COUNTRIES)


# --- what a query can target: pure functions of (seed, order index) -------------------------------------

_MASK64 = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64's finaliser: a well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


_DOMAINS = ("example.com", "example.net", "example.org")


@cache
def _email_word(name: str) -> str:
    return fold(name).replace(" ", ".")


class Customer(NamedTuple):  # a NamedTuple: made for every order, and much cheaper than a dataclass
    number: int
    name: str
    first_name: str
    surname: str
    email: str
    phone: str
    street: str
    city: str
    zip: str
    country: _Country


@lru_cache(maxsize=65_536)
def customer(number: int, seed: int = SEED) -> Customer:
    """Customer `number` (0 <= number < CUSTOMERS): the same name, e-mail and address on every order."""
    h = _mix(number ^ (seed << 20) ^ 0xC0FFEE)
    country = _COUNTRY_BY_PERCENT[h % 100]
    h //= 100
    female = h & 1
    h >>= 1
    given = country.female if female else country.male
    first = given[h % len(given)]
    h //= len(given)
    surnames = _SURNAMES[country.code][female]
    surname = surnames[h % len(surnames)]
    h //= len(surnames)
    name = f"{first} {surname}"
    if h % 100 < _MIDDLE_NAME_PERCENT:
        middle = given[(h // 100) % len(given)]
        if middle != first:
            name = f"{first} {middle} {surname}"
    email = f"{_email_word(first)}.{_email_word(surname)}.{number}@{_DOMAINS[h // 10_000 % 3]}"
    h = _mix(h)  # the address: a fresh 64 bits
    city, zip_prefix = country.cities[h % len(country.cities)]
    h //= len(country.cities)
    street = country.streets[h % len(country.streets)]
    h //= len(country.streets)
    street = country.street_format.format(street=street, number=h % 150 + 1, flat=h // 150 % 40 + 1)
    h //= 6000
    zip_code = country.zip_format.format(p=zip_prefix, n=f"{h % 100_000:05d}")
    h //= 100_000
    phone = f"{country.phone_prefix}{h % 10_000_000:07d}"
    return Customer(number, name, first, surname, email, phone, street, city, zip_code, country)


def customer_of(index: int, seed: int = SEED) -> Customer:
    """The customer of the `index`-th order (0-based) in the file."""
    return customer(_mix(index ^ (seed << 32)) % CUSTOMERS, seed)


def order_kind(index: int, seed: int = SEED) -> str:
    """"gift", "cod", "nameless" or "plain" (see GIFT_PERCENT and the rest)."""
    roll = _mix(index ^ (seed << 32) ^ 0x61F7) % 100
    if roll < GIFT_PERCENT:
        return "gift"
    if roll < GIFT_PERCENT + COD_PERCENT:
        return "cod"
    if roll < GIFT_PERCENT + COD_PERCENT + NAMELESS_PERCENT:
        return "nameless"
    return "plain"


def recipient_of(index: int, seed: int = SEED) -> Customer:
    """Whom a gift (order_kind "gift") is shipped to: their name and phone number are on the shipping address."""
    return customer(_mix(index ^ (seed << 32) ^ 0x9E37) % CUSTOMERS, seed)


def written_phone(person: Customer, index: int, seed: int = SEED) -> str:
    """The customer's number as an export has it: as typed at checkout, or as a spreadsheet keeps it."""
    compact = person.phone.replace(" ", "")
    match _mix(index ^ (seed << 32) ^ 0x7E1) % 4:
        case 0:
            return person.phone  # +358 401234567
        case 1:
            return "'" + compact  # '+358401234567, the spreadsheet's text mark
        case 2:
            return "00" + compact[1:]  # 00358401234567
    return "+" + " ".join(compact[i : i + 3] for i in range(1, len(compact), 3))  # +358 401 234 567


def is_fulfilled(index: int, seed: int = SEED) -> bool:
    return (_mix(index ^ (seed << 32) ^ 0xF0F0) >> 7) % 100 < FULFILLED_PERCENT


_SERIAL_MODULUS = 10**8
_SERIAL_FACTOR = 7_919_113  # coprime to 10**8: index -> serial is one-to-one for fewer than 10**8 orders


def tracking_number(index: int, seed: int = SEED) -> str | None:
    """The tracking number of the `index`-th order, unique in the file; None when it has not shipped."""
    if not is_fulfilled(index, seed):
        return None
    return _tracking(index, seed, customer_of(index, seed).country.carrier)


def _tracking(index: int, seed: int, carrier: _Carrier) -> str:
    serial = ((index + seed) * _SERIAL_FACTOR) % _SERIAL_MODULUS
    return f"{carrier.prefix}{serial:08d}{carrier.suffix}"


def order_name(index: int) -> str:
    return f"#{FIRST_NUMBER + index}"


# --- writing the file ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Product:
    name: str
    sku: str
    vendor: str
    eur_cents: int
    compare_at_eur_cents: int | None = None


_PRODUCTS = tuple(
    _Product(f"{base} - {variant}", f"PO-{code}-{variant_code}", vendor, price, compare)
    for base, code, vendor, price, compare, variants in (
        ("Kaamos Down Jacket", "KDJ", "Kaamos Gear", 28900, None,
         ("S / Black", "M / Lingonberry", "L / Black", "XL / Fjord")),
        ("Saaristo Rain Shell", "SRS", "Pohjola Outdoor", 17900, 21900, ("M / Sea Blue", "L / Sea Blue", "L / Sand")),
        ("Tunturi Merino Base Layer", "MBL", "Tunturi Wool Co.", 7900, None,
         ("M / Charcoal", "L / Moss", "S / Charcoal")),
        ("Wool Hiking Socks 3-pack", "WHS", "Tunturi Wool Co.", 2990, None, ("37-39", "40-42", "43-46")),
        ("Revontuli Beanie", "RBN", "Pohjola Outdoor", 3400, None, ("One size / Aurora Green", "One size / Snow")),
        ("Lapland Trekking Boots", "LTB", "Pohjola Outdoor", 21900, None, ("39", "41", "42", "44", "45")),
        ("Fleece Mid Layer", "FML", "Pohjola Outdoor", 8900, 9900, ("M / Stone", "L / Stone", "XL / Night")),
        ("Sleeping Bag Revontuli -10 °C", "SBR", "Pohjola Outdoor", 24900, None, ("Regular", "Long")),
        ("Trekking Poles Carbon", "TPC", "Kaamos Gear", 11900, None, ("pair",)),
        ("Birch Thermos 0.75 l", "BTH", "Kaamos Gear", 3900, 4500, ("Birch", "Steel")),
    )
    for variant in variants
    for variant_code in ("-".join(w.replace(" ", "").replace("-", "")[:4].upper() for w in variant.split(" / ")),)
)  # fmt: skip
_CURRENCY_RATE = {"EUR": 1.0, "SEK": 11.0, "DKK": 7.5}
_PAYMENT_METHODS = {
    "FI": ("Shopify Payments", "Shopify Payments", "Klarna", "MobilePay"),
    "SE": ("Klarna", "Klarna", "Shopify Payments", "Swish"),
    "DK": ("MobilePay", "MobilePay", "Shopify Payments", "Klarna"),
    "EE": ("Shopify Payments", "Shopify Payments", "Bank Deposit", "Klarna"),
    "LV": ("Shopify Payments", "Shopify Payments", "Bank Deposit", "Klarna"),
    "LT": ("Shopify Payments", "Shopify Payments", "Bank Deposit", "Paysera"),
}
_NOTES = (
    "Please leave the parcel with the neighbour, door code 4512.",
    "Gift - no invoice in the box please.",
    'Call before delivery, the "B" entrance is closed.\nThanks!',
)


@cache
def _price(eur_cents: int, currency: str) -> int:
    if currency == "EUR":
        return eur_cents
    return (round(eur_cents * _CURRENCY_RATE[currency] / 1000) * 10 - 1) * 100  # SEK and DKK: whole 9s


@lru_cache(maxsize=65_536)
def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@lru_cache(maxsize=4096)
def _day(day_number: int) -> str:
    return date.fromordinal(719_163 + day_number).isoformat()  # 719_163: 1970-01-01


_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]


@cache
def _offset_seconds(offset: str) -> int:
    return 3600 * int(offset[1:3]) * (1 if offset[0] == "+" else -1)


def _time(epoch: int, offset: str) -> str:
    """Shopify's `2025-05-11 09:55:16 -0400` for a UTC epoch second shown at a fixed UTC offset."""
    day, second = divmod(epoch + _offset_seconds(offset), 86_400)
    return f"{_day(day)} {_CLOCK[second]} {offset}"


def _csv(value: str) -> str:
    """One CSV field, quoted the way csv.writer quotes it (only when it has to be)."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


@dataclass(frozen=True)
class Written:
    path: Path
    orders: int
    rows: int
    seconds: float


def write_export(path: Path, *, orders: int | None = None, rows: int | None = None, seed: int = SEED) -> Written:
    """Write an orders export with `orders` orders, or with the fewest whole orders reaching `rows` rows.

    The file is written under a temporary name and renamed when complete.
    """
    if (orders is None) == (rows is None):
        raise ValueError("give either orders or rows")
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    written_orders = written_rows = 0
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        write = handle.write
        write(",".join(map(_csv, COLUMNS)) + "\n")
        for lines, count in _orders(seed):
            write(lines)
            written_orders += 1
            written_rows += count
            if written_orders == orders or (rows is not None and written_rows >= rows):
                break
    temporary.replace(path)
    return Written(path, written_orders, written_rows, time.perf_counter() - started)


_ADDRESS_COLUMNS = tuple(
    tuple(_AT[f"{prefix} {part}"] for part in ("Name", "Street", "Address1", "City", "Zip", "Country"))
    for prefix in ("Billing", "Shipping")
)


def _orders(seed: int) -> Iterator[tuple[str, int]]:
    """Each order in turn, without end: its CSV lines (one per line item) and how many there are."""
    rng = random.Random(seed)
    random_ = rng.random
    getrandbits = rng.getrandbits
    at = _AT
    blank = [""] * len(COLUMNS)
    products = len(_PRODUCTS)
    notes = [_csv(note) for note in _NOTES]
    created = START
    for index in itertools.count():
        person = customer_of(index, seed)
        kind = order_kind(index, seed)
        email = "" if kind == "cod" else person.email
        billing_name = "" if kind == "nameless" else person.name
        recipient = recipient_of(index, seed) if kind == "gift" else None
        country = person.country
        carrier = country.carrier
        currency = country.currency
        offset = country.utc_offset
        created += 30 + int(random_() * 120)
        name = order_name(index)
        created_text = _time(created, offset)
        shipped = is_fulfilled(index, seed)
        tracking = _tracking(index, seed, carrier) if shipped else None

        items = []
        subtotal = 0
        for _ in range(1 + int(random_() * 4)):
            product = _PRODUCTS[int(random_() * products)]
            quantity = 1 if random_() < 0.8 else 2 + int(random_() * 2)
            price = _price(product.eur_cents, currency)
            subtotal += price * quantity
            items.append((product, quantity, price))
        shipping = carrier.shipping_cents if currency == "EUR" or subtotal < 100_000 else 0
        total = subtotal + shipping
        taxes = round(total * country.vat_rate / (1 + country.vat_rate))

        roll = random_()
        financial, refunded = "paid", 0
        if roll < 0.03:
            financial = "pending"
        elif roll < 0.07:
            financial, refunded = "refunded", total
        elif roll < 0.11:
            financial, refunded = "partially_refunded", items[0][2]
        paid = financial != "pending"
        payment_method = _PAYMENT_METHODS[country.code][int(random_() * 4)] if paid else "Bank Deposit"
        reference = f"{getrandbits(100):025x}" if paid else ""

        first = blank.copy()
        first[at["Name"]] = name
        first[at["Email"]] = email
        first[at["Financial Status"]] = financial
        first[at["Paid at"]] = _time(created + 7, offset) if paid else ""
        first[at["Fulfillment Status"]] = "fulfilled" if shipped else "unfulfilled"
        first[at["Fulfilled at"]] = _time(created + 3600 + int(random_() * 255_600), offset) if shipped else ""
        first[at["Accepts Marketing"]] = "yes" if random_() < 0.3 else "no"
        first[at["Currency"]] = currency
        first[at["Subtotal"]] = _money(subtotal)
        first[at["Shipping"]] = _money(shipping)
        first[at["Taxes"]] = first[at["Tax 1 Value"]] = _money(taxes)
        first[at["Total"]] = _money(total)
        first[at["Discount Amount"]] = "0.00"
        first[at["Shipping Method"]] = carrier.method
        address = (billing_name, _csv(person.street), _csv(person.street), person.city, person.zip, country.code)
        for columns in _ADDRESS_COLUMNS:
            for column, value in zip(columns, address, strict=True):
                first[column] = value
        phone = _csv(written_phone(person, index, seed))
        first[at["Phone" if kind == "cod" else "Billing Phone"]] = phone
        if recipient is not None:
            first[at["Shipping Name"]] = recipient.name
            first[at["Shipping Phone"]] = recipient.phone
        if random_() < 0.02:
            first[at["Notes"]] = notes[int(random_() * len(notes))]
        if not shipped and financial == "refunded":
            first[at["Cancelled at"]] = _time(created + 4 * 3600, offset)
        first[at["Payment Method"]] = payment_method
        first[at["Payment Reference"]] = first[at["Payment ID"]] = first[at["Payment References"]] = reference
        first[at["Refunded Amount"]] = _money(refunded)
        first[at["Outstanding Balance"]] = _money(0 if paid else total)
        first[at["Id"]] = str(7_302_116_543_217 + 3217 * index)
        first[at["Tags"]] = ("newsletter", "", "", "", "returning-customer")[int(random_() * 5)]
        first[at["Risk Level"]] = "Low"
        first[at["Source"]] = "web"
        first[at["Tax 1 Name"]] = country.vat
        first[at["Locale"]] = country.locale

        lines = []
        line_status = "fulfilled" if shipped else "pending"
        tracking_url = carrier.url.format(tracking) if shipped else ""
        for n, (product, quantity, price) in enumerate(items):
            if n == 0:
                row = first
            else:  # Shopify repeats only the name, e-mail and time on the other rows of an order
                row = blank.copy()
                row[at["Name"]] = name
                row[at["Email"]] = email
            row[at["Created at"]] = created_text
            row[at["Lineitem quantity"]] = str(quantity)
            row[at["Lineitem name"]] = product.name
            row[at["Lineitem price"]] = _money(price)
            if product.compare_at_eur_cents is not None:
                row[at["Lineitem compare at price"]] = _money(_price(product.compare_at_eur_cents, currency))
            row[at["Lineitem sku"]] = product.sku
            row[at["Lineitem requires shipping"]] = row[at["Lineitem taxable"]] = "true"
            row[at["Lineitem fulfillment status"]] = line_status
            row[at["Vendor"]] = product.vendor
            row[at["Lineitem discount"]] = "0.00"
            if tracking is not None:  # exactly when shipped
                row[at["Tracking Number"]] = tracking
                row[at["Tracking Company"]] = carrier.company
                row[at["Tracking URL"]] = tracking_url
            lines.append(",".join(row))
        lines.append("")
        yield "\n".join(lines), len(items)


# --- queries ------------------------------------------------------------------------------------------------

QUERY_KINDS = ("number", "email", "full name", "partial name", "ship-to name", "phone", "tracking", "no match")


def sample_queries(orders: int, per_kind: int, *, seed: int = SEED) -> dict[str, list[str]]:
    """What an agent would type to find orders of a file of `orders` orders written with `seed`.

    Each kind gets `per_kind` texts: an order number (`#1234`), its customer's e-mail, full name, a
    partial name (the first four letters of the first name and of the surname, as typed, with accents),
    a gift's recipient (the shipping name), the customer's phone number (written one of the ways agents
    type them), a tracking number, and names that match no order (either unknown words or a first name and
    a surname that never appear in one name, e.g. from two different countries). A query targets an order
    that has what it searches for (an e-mail query no cash-on-delivery order, a name query no nameless one).
    """
    rng = random.Random(seed ^ 0x5EA7C4)
    queries: dict[str, list[str]] = {kind: [] for kind in QUERY_KINDS}

    def add(kind: str, text: str) -> None:
        if len(queries[kind]) < per_kind:
            queries[kind].append(text)

    while any(len(queries[k]) < per_kind for k in QUERY_KINDS if k != "no match"):
        index = rng.randrange(orders)
        person = customer_of(index, seed)
        kind = order_kind(index, seed)
        add("number", order_name(index))
        add("phone", _typed_phone(person, rng))
        if kind != "cod":
            add("email", person.email)
        if kind != "nameless":
            add("full name", person.name)
            add("partial name", f"{person.first_name[:4]} {person.surname[:4]}")
        if kind == "gift":
            add("ship-to name", recipient_of(index, seed).name)
        tracking = tracking_number(index, seed)
        if tracking is not None:
            add("tracking", tracking)
    queries["no match"] = _no_match_names(per_kind, rng)
    return queries


def _typed_phone(person: Customer, rng: random.Random) -> str:
    """A number as an agent types it; national (`040 123 4567`) only for the shop's country, Finland."""
    compact = person.phone.replace(" ", "")
    match rng.randrange(4):
        case 0:
            return person.phone
        case 1 if person.country.code == "FI":
            return compact[1:]  # 358401234567
        case 2 if person.country.code == "FI":
            return "0" + compact[4:6] + " " + compact[6:9] + " " + compact[9:]  # 040 123 4567
        case 3:
            return "00" + compact[1:]  # 0046701234567
    return compact  # +46701234567


def _no_match_names(count: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    syllables = ("qu", "xy", "zo", "vra", "wu", "ix", "ob", "yg", "eq", "uz")
    while len(names) < count:
        if len(names) % 2:
            a, b = rng.sample(_COUNTRIES, 2)
            candidate = f"{rng.choice((*a.male, *a.female))} {rng.choice(_SURNAMES[b.code][rng.randrange(2)])}"
        else:
            candidate = " ".join("".join(rng.choice(syllables) for _ in range(3)).capitalize() for _ in range(2))
        if not _could_match(fold(candidate).split()):
            names.append(candidate)
    return names


def _could_match(words: list[str]) -> bool:
    """Whether some generated name has, for every word, a word starting with it (how name search matches)."""
    return any(all(_has_prefix(tokens, w) for w in words) for tokens in _name_words().values())


def _has_prefix(ordered: list[str], prefix: str) -> bool:
    i = bisect.bisect_left(ordered, prefix)
    return i < len(ordered) and ordered[i].startswith(prefix)


@lru_cache(maxsize=1)
def _name_words() -> dict[str, list[str]]:
    """Per country (a name never mixes two): the folded words of every first name and surname, sorted."""
    words = {}
    for c in _COUNTRIES:
        names = (*c.male, *c.female, *_SURNAMES[c.code][0], *_SURNAMES[c.code][1])
        words[c.code] = sorted({word for name in names for word in fold(name).split()})
    return words
