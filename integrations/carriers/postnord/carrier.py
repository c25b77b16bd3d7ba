"""PostNord as a Carrier: Return Drop Off (service 24, with a QR code for label-less drop-off where PostNord
gives one) and Return Pickup (service 20, collected from the customer), tracking, service points, and the
look-up by our RMA that lets a retry find a booking whose answer was lost.

PostNord offers no way to cancel a booked return label to this kind of integration, so `can_void` is False:
an unused label simply expires.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx

from domain.carrier import CarrierError, Label, Parcel, ReturnItem, ReturnShipmentRequest, ServicePoint
from domain.orders import Address
from domain.vocabulary import Delivery
from integrations.carriers.postnord import answers, codes, edi
from integrations.carriers.postnord.http import KeyRefused, PostNordHttp

DEFAULT_PICKUP_MIN_GRAMS = 20_000
# PostNord writes SMS, e-mail and labels in these; anything else in English
_LOCALES = {"sv": "sv", "da": "da", "fi": "fi", "nb": "no", "no": "no", "en": "en"}
_STREET_NUMBER = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d+\s*[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?)$")


class PostNordCarrier:
    name = "postnord"
    title = "PostNord"
    can_void = False  # no cancel route for booked returns: an unused label expires
    finds_by_reference = True  # Track and Trace finds a shipment by our RMA (its customer reference)
    deliveries: Sequence[Delivery] = (Delivery.DROP_OFF, Delivery.PICKUP)

    def __init__(
        self,
        *,
        api_key: str,
        api_url: str = codes.PRODUCTION_URL,
        customer_number: str,
        issuer_code: str = "",
        pickup_min_grams: int = DEFAULT_PICKUP_MIN_GRAMS,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        return_address: Address | None = None,
    ) -> None:
        """`issuer_code` "" takes the code of the PostNord company in the shop's country (its return address);
        `return_address` (the shop's) is what `check` asks PostNord to validate a return to; `transport`,
        `sleep`, `clock` and `now` are for tests."""
        self._api_key = api_key.strip()
        self._customer_number = customer_number.strip()
        self._issuer_code = issuer_code.strip().upper()
        self._pickup_min_grams = pickup_min_grams
        self._now = now or (lambda: datetime.now(UTC))
        self._return_address = return_address
        self._http = PostNordHttp(
            api_url, self._api_key, timeout=timeout, transport=transport, sleep=sleep, clock=clock
        )

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:  # never the key
        return f"PostNordCarrier(api_url={self._http.base_url!r}, customer_number={self._customer_number!r})"

    # -- booking --------------------------------------------------------------------------------------------------

    def suggested_delivery(self, parcel: Parcel) -> Delivery:
        return Delivery.PICKUP if parcel.weight_grams >= self._pickup_min_grams else Delivery.DROP_OFF

    def create_return_shipment(self, request: ReturnShipmentRequest) -> Label:
        self._check_request(request)
        service = edi.service_code(request.delivery)
        body = edi.instruction(
            request, customer_number=self._customer_number, issuer_code=self._issuer(request.receiver),
            now=self._now(),
        )  # fmt: skip
        params = {"paperSize": "A4", "labelType": "standard", "locale": _locale(request.language)}
        if request.delivery == Delivery.DROP_OFF:
            # the QR code lets the customer drop the parcel off without printing anything
            params |= {"addQRCODE": "true", "qrCodeFormat": "PNG"}
            answer = self._http.book(codes.RETURN_LABEL_PATH, params, body)
        else:
            answer = self._http.book(codes.EDI_LABEL_PATH, params, body)
        booking = answers.booked(answer, request.receiver.country)
        pdf = booking.pdf or self._label_pdf(booking.item_id)
        return Label(
            carrier=self.name, service=codes.SERVICE_NAMES[service], tracking_number=booking.item_id,
            tracking_url=booking.tracking_url, pdf=pdf, reference=booking.shipment_id, qr_code=booking.qr_code,
        )  # fmt: skip

    def find_shipment(self, reference: str) -> Label | None:
        """The booking made with our RMA as its reference, its label printed again; None when PostNord has none."""
        path = codes.BY_REFERENCE_PATH.format(customer=quote(self._customer_number, safe=""),
                                              reference=quote(reference, safe=""))  # fmt: skip
        found = answers.found_item(self._http.get(path, {"locale": "en"}), reference)
        if found is None:
            return None
        item_id, shipment_id, code = found
        return Label(
            carrier=self.name, service=codes.SERVICE_NAMES.get(code, codes.SERVICE_NAMES[codes.RETURN_DROP_OFF]),
            tracking_number=item_id, tracking_url=codes.tracking_page(item_id, self._country()),
            pdf=self._label_pdf(item_id), reference=shipment_id,
        )  # fmt: skip

    def _label_pdf(self, item_id: str) -> bytes:
        """The label of a booked item, printed again by PostNord (the booking exists: retrying finds it)."""
        answer = self._http.post(codes.LABELS_BY_ID_PATH, {"paperSize": "A4"}, [{"id": item_id}])
        pdf, _qr = answers.printouts(answer if isinstance(answer, list) else (answer or {}).get("labelPrintout"))
        if not pdf:
            raise CarrierError(
                f"PostNord booked the return ({item_id}) but sent no label for it. Try again in a moment.",
                retryable=True, maybe_booked=True,
            )  # fmt: skip
        return pdf

    def _check_request(self, request: ReturnShipmentRequest) -> None:
        """What PostNord would refuse anyway, said before asking it: as the form's field errors."""
        fields: dict[str, str] = {}
        sender = request.sender
        missing = [w for w, v in (("name", sender.name or sender.company), ("street", sender.address1),
                                  ("postcode", sender.zip), ("city", sender.city), ("country", sender.country))
                   if not v.strip()]  # fmt: skip
        if missing:
            fields["address"] = f"The customer's address is missing its {', '.join(missing)}."
        service = edi.service_code(request.delivery)
        limit = codes.MAX_GRAMS[service]
        if request.parcel.weight_grams > limit:
            fields["weight"] = (
                f"{codes.SERVICE_NAMES[service]} takes parcels up to {limit // 1000} kg; this one weighs "
                f"{request.parcel.weight_grams / 1000:g} kg."
            )
        if request.delivery == Delivery.PICKUP and not (request.pickup_phone or sender.phone).strip():
            fields["pickup_phone"] = "PostNord's driver needs a phone number to call the customer."
        if fields:
            raise CarrierError(" ".join(fields.values()), fields=fields)
        receiver = request.receiver
        if not all(v.strip() for v in (receiver.address1, receiver.zip, receiver.city, receiver.country)):
            raise CarrierError(
                "The shop's return address is incomplete. Ask an administrator to set the RETURN_ADDRESS_* settings."
            )

    def _issuer(self, shop: Address) -> str:
        return self._issuer_code or codes.issuer_for(shop.country)

    def _country(self) -> str:
        if self._return_address is not None and self._return_address.country.strip():
            return self._return_address.country.strip().upper()
        by_issuer = {code: country for country, code in codes.ISSUER_BY_COUNTRY.items()}
        return by_issuer.get(self._issuer_code, "SE")

    # -- after booking --------------------------------------------------------------------------------------------

    def void(self, tracking_number: str) -> None:
        raise CarrierError(
            f"PostNord cannot cancel a booked return label ({tracking_number}). "
            "If the customer does not use it, it simply expires and costs nothing."
        )

    def tracking_status(self, tracking_number: str) -> str:
        number = tracking_number.strip()
        answer = self._http.get(codes.TRACKING_PATH, {"id": number, "locale": "en"})
        return answers.label_status(answer, number)

    def service_points(self, address: Address, limit: int = 3) -> list[ServicePoint]:
        country = address.country.strip().upper()
        zip_code = codes.postal_code(address.zip, country)
        if not (zip_code or address.city.strip()) or not country:
            return []
        params = {"returnType": "json", "countryCode": country, "numberOfServicePoints": str(limit)}
        if zip_code:
            params["postalCode"] = zip_code
        if address.city.strip():
            params["city"] = address.city.strip()
        street = _STREET_NUMBER.match(address.address1.strip())
        if street:
            params |= {"streetName": street["street"].strip(" ,"), "streetNumber": street["number"].replace(" ", "")}
        elif address.address1.strip():
            params["streetName"] = address.address1.strip()
        return answers.service_points(self._http.get(codes.SERVICE_POINTS_PATH, params), limit)

    # -- doctor ---------------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """The key is accepted, and PostNord validates (books nothing: testIndicator) a drop-off and a pickup
        for the shop's agreement: customer number, issuer code and both services."""
        problems = []
        if not self._api_key:
            problems.append("POSTNORD_API_KEY is not set: PostNord's developer portal gives the key")
        if not self._customer_number:
            problems.append("POSTNORD_CUSTOMER_NUMBER is not set: the shop's PostNord customer number")
        if self._issuer_code and self._issuer_code not in codes.ISSUER_CODES:
            problems.append(f"POSTNORD_ISSUER_CODE={self._issuer_code} is not one of {', '.join(codes.ISSUER_CODES)}")
        if problems:
            return problems
        try:
            self._http.get(codes.TRACKING_PATH, {"id": "0", "locale": "en"})
        except KeyRefused as refused:
            return [f"POSTNORD_API_KEY is refused by PostNord (HTTP {refused.status}): check the key"]
        except CarrierError as exc:
            return [f"POSTNORD_API_URL: {exc.message}"]
        for delivery in self.deliveries:
            problem = self._validate(delivery)
            if problem:
                problems.append(problem)
        return problems

    def _validate(self, delivery: Delivery) -> str:
        service = edi.service_code(delivery)
        sample = _sample(delivery, self._return_address, self._country(), self._now())
        body = edi.instruction(sample, customer_number=self._customer_number, issuer_code=self._issuer(sample.receiver),
                               now=self._now(), test=True)  # fmt: skip
        path = codes.RETURN_EDI_PATH if delivery == Delivery.DROP_OFF else codes.EDI_PATH
        try:
            answers.confirmed(self._http.post(path, {}, body))
        except CarrierError as exc:
            # name first the setting PostNord's refusal points at: the shop's address, else its agreement
            setting = "RETURN_ADDRESS_*" if "RETURN_ADDRESS" in exc.message else (
                "POSTNORD_CUSTOMER_NUMBER / POSTNORD_ISSUER_CODE")  # fmt: skip
            return f"{setting}: {codes.SERVICE_NAMES[service]} (service {service}) is not accepted: {exc.message}"
        return ""


def _locale(language: str) -> str:
    return _LOCALES.get((language or "en").split("-")[0].lower(), "en")


def _sample(delivery: Delivery, shop: Address | None, country: str, now: datetime) -> ReturnShipmentRequest:
    """A return from a customer in the shop's country to the shop, for PostNord to validate (nothing is
    booked): a customer address of our own, and the shop's return address when known."""
    place = _SAMPLE_PLACES.get(country, _SAMPLE_PLACES["SE"])
    sender = Address(name="Returnbot check", address1=place[0], zip=place[1], city=place[2], country=place[3],
                     phone="+4610436000")  # fmt: skip
    receiver = shop or Address(name="Returnbot check", address1=place[4], zip=place[5], city=place[2],
                               country=place[3])  # fmt: skip
    if receiver.address1.strip().lower() == sender.address1.lower():  # a return goes somewhere else
        sender = replace(sender, address1=place[4], zip=place[5])
    day = now.date() + timedelta(days=1)
    while day.weekday() >= 5:  # PostNord collects on working days
        day += timedelta(days=1)
    return ReturnShipmentRequest(
        rma="CHECK", order_name="CHECK", sender=sender, receiver=receiver, parcel=Parcel(1000), delivery=delivery,
        items=[ReturnItem("check", "check", 1)], created=now.date(),
        pickup_date=day if delivery == Delivery.PICKUP else None,
    )  # fmt: skip


_SAMPLE_PLACES: dict[str, tuple[str, ...]] = {
    # street, postcode, city, country, a second street and postcode in the same city
    "SE": ("Terminalvägen 14", "17173", "Solna", "SE", "Terminalvägen 24", "17173"),
    "DK": ("Hedegaardsvej 88", "2300", "København", "DK", "Tietgensgade 37", "1566"),
    "NO": ("Karl Johans gate 1", "0154", "Oslo", "NO", "Kongens gate 1", "0153"),
    "FI": ("Aleksanterinkatu 52", "00100", "Helsinki", "FI", "Mannerheimintie 1", "00100"),
}
