"""The local carrier's label PDF, read back the way a person or a scanner would: pypdfium2 for pages and
text, zxing-cpp for the barcodes on a rendered bitmap. Also its tracking numbers and slip texts."""

from __future__ import annotations

import dataclasses
import io
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A6
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from domain.carrier import Carrier, CarrierError, Label, Parcel, ReturnItem, ReturnShipmentRequest
from domain.orders import Address
from integrations.carriers.local import SERVICE, LocalCarrier
from integrations.labels import page_label, qr, texts, tracking, typeface
from integrations.labels.render import render_label_pdf

A6_POINTS = (297.6, 419.5)
CUSTOMER = Address(
    name="Jānis Bērziņš",
    address1="Brīvības iela 68-12",
    zip="LV-1011",
    city="Rīga",
    country="LV",
    phone="+371 2000 0000",
)
WAREHOUSE = Address(
    name="Põhjala Kaubad OÜ", company="Returns", address1="Væddeløbsbanen 5", zip="01510", city="Vantaa", country="FI"
)


def make_request(
    language: str = "lv", delivery: str = "drop_off", items: list[ReturnItem] | None = None
) -> ReturnShipmentRequest:
    return ReturnShipmentRequest(
        rma="R1001-1",
        order_name="#1001",
        sender=CUSTOMER,
        receiver=WAREHOUSE,
        parcel=Parcel(1250, 40, 30, 20),
        delivery=delivery,  # type: ignore[arg-type]
        pickup_date=date(2026, 5, 6) if delivery == "pickup" else None,
        pickup_phone="+371 2612 3456" if delivery == "pickup" else "",
        items=items
        or [
            ReturnItem("Linen shirt, blue, M", "LS-BLU-M", 1, "size_too_small"),
            ReturnItem("Vilnas zeķes (3 pāri)", "WS-GRY-3", 2, "Krāsa neatbilst attēlam"),
        ],
        language=language,
        created=date(2026, 5, 4),
    )


def counter(start: int = 12345678) -> Callable[[], int]:
    """Stands in for the database sequence the bot's wiring uses."""
    return itertools.count(start).__next__


@pytest.fixture(scope="module")
def label() -> Label:
    return LocalCarrier(counter()).create_return_shipment(make_request())


def page_texts(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def decode_page(pdf: bytes, page: int = 0) -> dict[str, str]:
    image = pdfium.PdfDocument(pdf)[page].render(scale=4).to_pil()
    found = zxingcpp.read_barcodes(image)
    return {
        kind: b.text
        for b in found
        for kind, fmt in (("code128", zxingcpp.BarcodeFormat.Code128), ("qr", zxingcpp.BarcodeFormat.QRCode))
        if b.format == fmt
    }


# -- the PDF ---------------------------------------------------------------------------------------------


def test_label_is_two_a6_pages(label: Label) -> None:
    doc = pdfium.PdfDocument(label.pdf)
    assert len(doc) == 2
    for i in range(2):
        width, height = doc[i].get_size()
        assert width == pytest.approx(A6_POINTS[0], abs=1)
        assert height == pytest.approx(A6_POINTS[1], abs=1)


def test_label_page_names_both_addresses_and_the_references(label: Label) -> None:
    text = page_texts(label.pdf)[0]
    for expected in ("Jānis Bērziņš", "Brīvības iela 68-12", "LV-1011 Rīga"):  # the customer sends
        assert expected in text
    for expected in ("Põhjala Kaubad OÜ", "Væddeløbsbanen 5", "01510 Vantaa"):  # the shop receives
        assert expected in text
    for expected in ("RB123456785FI", "R1001-1", "#1001", SERVICE, "Return — drop-off", "1.25 kg", "2026-05-04"):
        assert expected in text
    assert text.index("Jānis Bērziņš") < text.index("Põhjala Kaubad OÜ")  # FROM before TO


def test_label_carries_what_the_workflow_stores(label: Label) -> None:
    assert label.carrier == "local"
    assert label.service == SERVICE
    assert label.tracking_number == "RB123456785FI"
    assert label.tracking_url == "https://track.example.com/RB123456785FI"
    assert label.pdf.startswith(b"%PDF-")


def test_barcode_and_qr_decode_to_the_tracking_number_and_url(label: Label) -> None:
    assert decode_page(label.pdf) == {
        "code128": "RB123456785FI",
        "qr": "https://track.example.com/RB123456785FI",
    }


def test_slip_barcode_is_the_rma(label: Label) -> None:
    assert decode_page(label.pdf, page=1)["code128"] == "R1001-1"


def test_pickup_label_shows_the_date_and_the_customer_phone() -> None:
    pdf = LocalCarrier(counter()).create_return_shipment(make_request(delivery="pickup")).pdf
    label_text, slip_text = page_texts(pdf)
    assert "Return — pickup 2026-05-06" in label_text
    assert "+371 2612 3456" in label_text
    assert "Pārvadātājs sūtījumu paņems 06.05.2026." in slip_text
    assert "+371 2612 3456" in slip_text


def test_drop_off_label_keeps_the_customer_phone_off_the_parcel(label: Label) -> None:
    assert "+371 2000 0000" not in page_texts(label.pdf)[0]


def test_pdf_is_small(label: Label) -> None:
    assert len(label.pdf) <= 40 * 1024


def test_rendering_is_deterministic() -> None:
    def render() -> bytes:
        request = make_request()
        return render_label_pdf(request, tracking_number="RB123456785FI", tracking_url="https://x.test/1", service="S")

    assert render() == render()


def test_labels_drawn_on_several_threads_at_once_are_intact() -> None:
    # The bot renders on a worker pool; ReportLab's font subsetter is not thread-safe on its own.
    def render(_: int) -> bytes:
        request = make_request()
        return render_label_pdf(request, tracking_number="RB123456785FI", tracking_url="https://x.test/1", service="S")

    expected = render(0)
    with ThreadPoolExecutor(4) as pool:
        assert all(pdf == expected for pdf in pool.map(render, range(120)))


def test_qr_holds_the_rma_when_there_is_no_tracking_url() -> None:
    pdf = render_label_pdf(make_request(), tracking_number="RB123456785FI", tracking_url="", service="S")
    assert decode_page(pdf)["qr"] == "R1001-1"


def test_overlong_address_lines_are_fitted_beside_the_qr_code() -> None:
    street = "Pulkveža Brieža iela 1234, korpuss 5, dzīvoklis 678, ieeja no pagalma puses, durvju kods 4455"
    sender = Address(name="Jānis Bērziņš", address1=street, zip="LV-1011", city="Rīga", country="LV")
    request = dataclasses.replace(make_request(), sender=sender)
    pdf = render_label_pdf(request, tracking_number="RB123456785FI", tracking_url="https://x.test/1", service="S")
    textpage = pdfium.PdfDocument(pdf)[0].get_textpage()
    text = textpage.get_text_range()
    start = text.index("Pulkveža Brieža iela")
    end = text.index("\n", start)
    qr_left = page_label.WIDTH - page_label.MARGIN - page_label.QR_SIZE
    assert all(textpage.get_charbox(i)[2] <= qr_left for i in range(start, end - 1))
    assert text[start:end].rstrip().endswith("…")  # too long even when shrunk: cut, and visibly so


# -- the RMA slip ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "reason"),
    [
        ("lv", "Atgriešanas veidlapa", "Iemesls: Par mazu"),
        ("fi", "Palautuslomake", "Syy: Liian pieni"),
        ("fi-FI", "Palautuslomake", "Syy: Liian pieni"),
        ("et", "Tagastusvorm", "Põhjus: Liiga väike"),
        ("lt", "Grąžinimo forma", "Priežastis: Per mažas"),
        ("da", "Returseddel", "Årsag: For lille"),
        ("sv", "Retursedel", "Orsak: För liten"),
        ("en", "Return slip", "Reason: Too small"),
        ("no", "Return slip", "Reason: Too small"),  # no Norwegian texts: English
    ],
)
def test_slip_is_in_the_customer_language(language: str, heading: str, reason: str) -> None:
    pdf = LocalCarrier(counter()).create_return_shipment(make_request(language=language)).pdf
    slip = page_texts(pdf)[1]
    assert slip.startswith(heading)
    assert reason in slip


def test_slip_lists_the_items_and_how_to_send_them() -> None:
    pdf = LocalCarrier(counter()).create_return_shipment(make_request(language="fi")).pdf
    slip = page_texts(pdf)[1]
    for expected in ("#1001", "R1001-1", "RB123456785FI", "4.5.2026"):
        assert expected in slip
    assert "1 × Linen shirt, blue, M" in slip
    assert "2 × Vilnas zeķes (3 pāri)" in slip
    assert "LS-BLU-M" in slip
    assert "Krāsa neatbilst attēlam" in slip  # an agent's own words pass through untranslated
    assert "Vie paketti kuljetusyhtiön palautuspisteeseen." in slip  # drop-off, not pickup
    assert "noutaa" not in slip


def test_a_long_return_continues_on_more_slip_pages() -> None:
    items = [ReturnItem(f"Tuote numero {n}", f"SKU-{n}", 1, "defective") for n in range(40)]
    pdf = LocalCarrier(counter()).create_return_shipment(make_request(language="fi", items=items)).pdf
    pages = page_texts(pdf)
    assert len(pages) > 2
    slips = "\n".join(pages[1:])
    for n in range(40):
        assert f"1 × Tuote numero {n}\r\n" in slips or f"1 × Tuote numero {n}\n" in slips
    assert pages[1].startswith(f"Palautuslomake (1/{len(pages) - 1})")
    assert "Näin palautat paketin" in pages[-1]
    assert len(pdf) <= 40 * 1024


def test_every_language_has_every_text() -> None:
    for language, table in texts.TEXTS.items():
        assert table.keys() == texts.EN.keys(), language
        assert table["reasons"].keys() == texts.EN["reasons"].keys(), language
        assert len(table["pack"]) == len(texts.EN["pack"]), language


def test_the_font_has_every_letter_the_texts_use() -> None:
    typeface.register()
    letters = set("".join(_strings(texts.TEXTS))) | set("ÄÖÕÜĀĒĪŪČŠŽØÅÆĖĮŲāēīūčšžøåæėįųąęģķļņ€–—…")
    for name in (typeface.REGULAR, typeface.BOLD):
        glyphs = pdfmetrics.getFont(name).face.charToGlyph
        assert not [c for c in letters if ord(c) not in glyphs], name


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


# -- tracking numbers --------------------------------------------------------------------------------------


def test_tracking_number_is_s10_shaped_with_its_check_digit() -> None:
    assert tracking.make(12345678) == "RB123456785FI"  # 1·8+2·6+3·4+4·2+5·3+6·5+7·9+8·7 = 204; 11 − 204 mod 11 = 5
    assert tracking.make(1, service="CX", country="SE") == "CX000000014SE"  # 1·7 = 7; 11 − 7 = 4
    assert tracking.is_valid("RB123456785FI")
    assert tracking.is_valid("rb 1234 5678 5 fi")  # as people type it
    assert tracking.serial_of("RB123456785FI") == 12345678


@pytest.mark.parametrize(
    "changed",
    [
        "RB123456784FI",  # check digit
        "RB123456786FI",
        "RB223456785FI",  # a serial digit
        "RB123456795FI",
        "RB213456785FI",  # two digits swapped
        "RB12345678FI",  # one digit short
        "RB1234567850FI",
        "RB123456785F1",
        "",
    ],
)
def test_changed_tracking_numbers_are_invalid(changed: str) -> None:
    assert not tracking.is_valid(changed)


def test_the_s10_blind_spot_is_what_the_docs_say() -> None:
    # 204 mod 11 = 6 here; 2 → 1 under weight 6 makes it 198 mod 11 = 0, and S10 maps both 0 and 6 to 5.
    assert tracking.is_valid("RB113456785FI")


@given(st.integers(1, tracking.MAX_SERIAL), st.integers(0, 7), st.integers(1, 9))
def test_a_changed_serial_digit_is_caught_except_for_the_known_s10_blind_spot(
    serial: int, position: int, step: int
) -> None:
    number = tracking.make(serial)
    digits = list(number[2:10])
    digits[position] = str((int(digits[position]) + step) % 10)
    changed = number[:2] + "".join(digits) + number[10:]
    # S10 maps weighted-sum remainders 0 and 6 both to check digit 5; every other change is caught.
    remainders = {_remainder(number[2:10]), _remainder("".join(digits))}
    assert tracking.is_valid(changed) == (remainders == {0, 6})


def _remainder(serial: str) -> int:
    return sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11


def test_a_changed_check_digit_is_always_caught() -> None:
    for serial in range(1, 2000):
        number = tracking.make(serial)
        for digit in "0123456789":
            if digit != number[10]:
                assert not tracking.is_valid(number[:10] + digit + number[11:])


def test_distinct_serials_give_distinct_numbers() -> None:
    numbers = [tracking.make(serial) for serial in range(1, 5001)]
    assert len(set(numbers)) == len(numbers)
    assert all(tracking.is_valid(n) for n in numbers)


def test_two_carrier_instances_on_one_sequence_never_collide() -> None:
    # Two bot instances share only the database sequence; the carrier itself holds no state.
    sequence = counter(1)
    first, second = LocalCarrier(sequence), LocalCarrier(sequence)
    request = make_request(language="en")
    numbers = [c.create_return_shipment(request).tracking_number for c in (first, second, first, second)]
    assert numbers == ["RB000000014FI", "RB000000028FI", "RB000000031FI", "RB000000045FI"]


@pytest.mark.parametrize("serial", [0, -1, 100_000_000])
def test_serials_out_of_range_are_refused(serial: int) -> None:
    with pytest.raises(ValueError, match="serial"):
        tracking.make(serial)
    with pytest.raises(CarrierError, match="sequence"):
        LocalCarrier(lambda: serial).create_return_shipment(make_request())


def test_bad_service_or_country_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="country"):
        LocalCarrier(counter(), "FIN")
    with pytest.raises(ValueError, match="service"):
        LocalCarrier(counter(), service_indicator="R1")
    assert LocalCarrier(counter(1), "se").create_return_shipment(make_request()).tracking_number.endswith("SE")


# -- the carrier ---------------------------------------------------------------------------------------------


def test_local_carrier_is_a_carrier() -> None:
    assert isinstance(LocalCarrier(counter()), Carrier)


def test_void_and_status_only_check_the_number() -> None:
    carrier = LocalCarrier(counter())
    number = carrier.create_return_shipment(make_request()).tracking_number
    carrier.void(number)
    carrier.void(number)  # nothing was booked, so voiding twice is fine; the bot's database keeps the status
    assert carrier.tracking_status(number) == "unknown"
    for foreign in ("JJFI123456789", "RB123456784FI", "RB123456785SE"):
        with pytest.raises(CarrierError, match="not a tracking number of the local carrier"):
            carrier.void(foreign)
        with pytest.raises(CarrierError):
            carrier.tracking_status(foreign)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sender": Address(name="Jānis Bērziņš", city="Rīga")}, "customer's address is incomplete"),
        ({"receiver": Address(name="Shop")}, "RETURN_ADDRESS_"),
        ({"items": []}, "at least one item"),
        ({"delivery": "pickup", "pickup_date": date(2026, 5, 1)}, "in the past"),
    ],
)
def test_unusable_requests_get_words_an_agent_can_act_on(change: dict[str, object], message: str) -> None:
    request = dataclasses.replace(make_request(), **change)
    serials: list[int] = []
    with pytest.raises(CarrierError, match=message) as raised:
        LocalCarrier(lambda: serials.append(1) or 1).create_return_shipment(request)
    assert not raised.value.retryable
    assert serials == []  # refused before a serial was spent


def test_value_types_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        Parcel(0)
    with pytest.raises(ValueError):
        Parcel(500, 10, -1, 10)
    with pytest.raises(ValueError):
        ReturnItem("Shirt", "S", 0)
    with pytest.raises(ValueError, match="pickup_date"):
        dataclasses.replace(make_request(), delivery="pickup", pickup_date=None)
    with pytest.raises(ValueError, match="delivery"):
        dataclasses.replace(make_request(), delivery="courier")
    assert Parcel(500).dimensions_cm is None
    assert Parcel(500, 1, 2, 3).dimensions_cm == (1, 2, 3)


# -- the QR encoder -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [7, 60, 180, 400])
def test_qr_codes_of_every_size_decode(length: int) -> None:
    # Longer data means higher QR versions (7+ add version blocks), all through the same mask search.
    data = ("https://track.example.com/" + "RB123456785FI-Riga-" * 40)[:length]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A6)
    qr.draw(canvas, data, 20, 100, 250)
    canvas.showPage()
    canvas.save()
    image = pdfium.PdfDocument(out.getvalue())[0].render(scale=3).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)] == [data]
