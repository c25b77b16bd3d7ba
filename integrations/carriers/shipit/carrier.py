"""Shipit as a Carrier: customer returns, their label PDFs, pickups, drop-off points, tracking.

The calls of one return, and which wait for which:

    PUT /customer-return ──┬── GET freightDoc[0]           (the label PDF, passed on unchanged)
                           ├── GET /tracking-link/{number}  (only when the booking gave no tracking URL)
                           └── POST /pick-ups               (pickup only: the carrier collects on the chosen day)

Everything after the booking needs its tracking number, and nothing after it needs anything else, so those run
side by side: a return costs two round trips whatever it asks for.

Shipit cannot cancel a booked shipment through its API (no such route in any client), so `can_void` is False: an
unused label simply expires. A booking can be found again by our RMA (`reference`) in the account's shipment list,
newest first, so `finds_by_reference` is True and a retry after a time-out never books twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from domain.carrier import CarrierError, Label, Parcel, ReturnShipmentRequest, ServicePoint
from domain.orders import Address
from domain.vocabulary import Delivery, LabelStatus
from integrations.carriers.shipit import bodies
from integrations.carriers.shipit.client import DEFAULT_TIMEOUT, KEY_SETTING, PRODUCTION_URL, ShipitClient

LOOKUP_PAGES = 3  # the newest shipments a lookup reads (a booking being checked was made minutes ago)
PAGE_SIZE = 50


class ShipitCarrier:
    name = "shipit"
    title = "Shipit"
    can_void = False
    finds_by_reference = True

    def __init__(
        self,
        *,
        api_key: str,
        service_id: str,
        api_url: str = PRODUCTION_URL,
        pickup_service_id: str = "",
        api_secret: str = "",
        shop_email: str = "",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service_id = service_id.strip()
        self.pickup_service_id = pickup_service_id.strip()
        self._shop_email = shop_email
        self._client = ShipitClient(api_url, api_key, api_secret=api_secret, timeout=timeout, transport=transport)
        # the calls after a booking run side by side (see the module's docstring); httpx.Client is thread-safe
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="shipit")

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._client.close()

    @property
    def deliveries(self) -> Sequence[Delivery]:
        return (Delivery.DROP_OFF, Delivery.PICKUP) if self.pickup_service_id else (Delivery.DROP_OFF,)

    def suggested_delivery(self, parcel: Parcel) -> Delivery:
        return Delivery.DROP_OFF

    # -- booking -----------------------------------------------------------------------------------------

    def create_return_shipment(self, request: ReturnShipmentRequest) -> Label:
        pickup = request.delivery == Delivery.PICKUP
        if pickup and not self.pickup_service_id:
            raise CarrierError(
                "Pickups are not set up for Shipit on this bot (SHIPIT_PICKUP_SERVICE_ID). Choose drop-off.",
                fields={"pickup_date": "Shipit pickups are not set up: choose drop-off."},
            )
        service = self.pickup_service_id if pickup else self.service_id
        body = bodies.customer_return(request, service, self._shop_email)
        booked = self._client.call("PUT", "/customer-return", body, booking=True)
        number = str(booked.get("trackingNumber") or "").strip()
        documents = [str(d) for d in (booked.get("freightDoc") or []) if d]
        if not number or not documents:
            raise CarrierError(
                f"Shipit booked the return {request.rma} but sent no tracking number or label. "
                "Try again: the bot finds the booking by its RMA.",
                retryable=True, maybe_booked=True,
            )  # fmt: skip
        pdf = self._pool.submit(self._client.download, documents[0])
        url = self._tracking_url_later(booked, number)
        collected: Future[dict[str, Any]] | None = None
        if pickup and request.pickup_date is not None:
            collected = self._pool.submit(
                self._client.call, "POST", "/pick-ups", bodies.pick_up(number, request.pickup_date, request)
            )
        problem = ""
        if collected is not None:
            try:
                collected.result()
            except CarrierError as exc:
                problem = f"The pickup was not booked: {exc.message} Book it with Shipit for {number}."
        try:
            document = pdf.result()
        except CarrierError as exc:
            # booked and numbered: the retry finds it by its reference and downloads the label again
            raise CarrierError(exc.message, retryable=True, maybe_booked=True) from None
        return Label(
            carrier=self.name, service=str(booked.get("serviceName") or service), tracking_number=number,
            tracking_url=url(), pdf=document, reference=str(booked.get("shipitNumber") or booked.get("orderId") or ""),
            problem=problem,
        )  # fmt: skip

    def find_shipment(self, reference: str) -> Label | None:
        """The booking with our `reference` among the account's newest shipments, with its label downloaded."""
        cursor = ""
        for _ in range(LOOKUP_PAGES):
            params = {"perPage": str(PAGE_SIZE)} | ({"cursor": cursor} if cursor else {})
            page = self._client.call("GET", "/shipments", params=params)
            for shipment in page.get("data") or page.get("shipments") or []:
                if isinstance(shipment, dict) and str(shipment.get("reference") or "") == reference:
                    return self._label_of(shipment)
            cursor = str(page.get("nextCursor") or page.get("cursor") or "")
            if not cursor:
                return None
        return None

    def _label_of(self, shipment: dict[str, Any]) -> Label:
        number = str(shipment.get("trackingNumber") or "")
        documents = [str(d) for d in (shipment.get("freightDoc") or []) if d]
        if not number or not documents:
            raise CarrierError("Shipit has the booking but not its label yet. Try again in a moment.", retryable=True)
        pdf = self._pool.submit(self._client.download, documents[0])
        url = self._tracking_url_later(shipment, number)
        return Label(
            carrier=self.name, service=str(shipment.get("serviceName") or shipment.get("serviceId") or ""),
            tracking_number=number, tracking_url=url(), pdf=pdf.result(),
            reference=str(shipment.get("shipitNumber") or shipment.get("orderId") or ""),
        )  # fmt: skip

    def _tracking_url_later(self, answer: dict[str, Any], number: str) -> Callable[[], str]:
        """The booking's own tracking URL, or Shipit's tracking link asked for beside the other calls."""
        urls = [str(u) for u in (answer.get("trackingUrls") or []) if str(u).startswith(("http://", "https://"))]
        if urls:
            return lambda: urls[0]
        asked = self._pool.submit(self._client.call, "GET", f"/tracking-link/{number}")

        def url() -> str:
            try:
                found = str(asked.result().get("trackingUrl") or asked.result().get("url") or "")
            except CarrierError:
                return ""  # the label works without it; the number is shown
            return found if found.startswith(("http://", "https://")) else ""

        return url

    # -- around the booking ----------------------------------------------------------------------------

    def service_points(self, address: Address, limit: int = 3) -> list[ServicePoint]:
        if not address.zip.strip() or not address.country.strip():
            return []
        answer = self._client.call("POST", "/agents", bodies.agents_query(address, self.service_id, limit))
        return bodies.service_points(answer, limit)

    def void(self, tracking_number: str) -> None:
        raise CarrierError(
            "Shipit cannot cancel a booked label: an unused one simply expires. Tell the customer not to use it."
        )

    def tracking_status(self, tracking_number: str) -> str:
        answer = self._client.call("POST", "/query-tracking-events", {"trackingNumbers": [tracking_number]})
        return bodies.tracking_status(answer, tracking_number) or LabelStatus.UNKNOWN

    def check(self) -> list[str]:
        """The key works, and the service ids are among the account's shipping methods."""
        if not self.service_id:
            return ["SHIPIT_SERVICE_ID is not set: choose the return service from your Shipit account's methods."]
        try:
            listed = self._client.call("GET", "/list-methods")
        except CarrierError as exc:
            if "API key" in exc.message:
                return [f"{KEY_SETTING} is refused by Shipit: check the key in Shipit's settings (API)."]
            return [f"Shipit could not be checked at {self._client.api_url}: {exc.message} (SHIPIT_API_URL)"]
        methods = listed.get("methods") or listed.get("data") or []
        known = {str(m.get("serviceId")) for m in methods if isinstance(m, dict)}
        problems = []
        for setting, service in (("SHIPIT_SERVICE_ID", self.service_id),
                                 ("SHIPIT_PICKUP_SERVICE_ID", self.pickup_service_id)):  # fmt: skip
            if service and service not in known:
                problems.append(f"{setting}={service} is not one of this Shipit account's services")
        return problems
