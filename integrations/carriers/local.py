"""The built-in carrier: the bot draws the label itself. For demos, tests and shops that hand parcels
over with their own paperwork — no carrier account, no network.

Multi-instance safe by construction: it keeps no state. Tracking numbers come from `serial_source`,
which the caller backs with a database sequence or unique row id (see labels.tracking), and the label
status (created / voided / …) lives in the bot's own Label records, not here.

Tracking: no carrier scans local labels, so the scans are the warehouse's own (`returnbot carrier-scan`, kept
in the bot's database): `scans` answers with the newest for a tracking number, and without it the status is
always UNKNOWN (the bot's own record is the status).

The tracking URL points at `track.example.com`, a reserved placeholder domain (RFC 2606) that never
resolves to anyone's site: there is no tracking service behind local labels. A deployment that has one
passes `tracking_base_url`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.carrier import CarrierError, Label, Parcel, ReturnShipmentRequest, ServicePoint
from domain.orders import Address
from domain.vocabulary import Delivery, LabelStatus
from integrations.labels import tracking
from integrations.labels.render import render_label_pdf

SERVICE = "Returnbot Local Return"
TRACKING_BASE_URL = "https://track.example.com/"


def _missing(address: Address) -> list[str]:
    parts = (("name", address.name), ("street", address.address1), ("postcode", address.zip), ("city", address.city))
    return [what for what, value in parts if not value.strip()]


class LocalCarrier:
    name = "local"
    title = "Local"
    can_void = True  # nothing was booked anywhere: voiding is the bot's own record
    # nothing is booked outside the bot: a repeat after a crash simply draws the label again
    finds_by_reference = False
    deliveries: Sequence[Delivery] = (Delivery.DROP_OFF, Delivery.PICKUP)

    def __init__(
        self,
        serial_source: Callable[[], int],
        country: str = "FI",
        *,
        service_indicator: str = "RB",
        tracking_base_url: str = TRACKING_BASE_URL,
        scans: Callable[[str], str] | None = None,
    ) -> None:
        country = country.strip().upper()
        # Fail at start-up on a bad configuration, not at the first label.
        tracking.make(1, service=service_indicator, country=country)
        self._serial_source = serial_source
        self._country = country
        self._service_indicator = service_indicator
        self._tracking_base_url = tracking_base_url.rstrip("/") + "/"
        self._scans = scans

    def tracking_url(self, tracking_number: str) -> str:
        return self._tracking_base_url + tracking_number

    def create_return_shipment(self, request: ReturnShipmentRequest) -> Label:
        self._check(request)
        serial = self._serial_source()
        try:
            number = tracking.make(serial, service=self._service_indicator, country=self._country)
        except ValueError as exc:
            raise CarrierError(
                f"The local carrier could not number this label (serial {serial} is out of range). "
                "Ask an administrator to check the label number sequence."
            ) from exc
        url = self.tracking_url(number)
        pdf = render_label_pdf(request, tracking_number=number, tracking_url=url, service=SERVICE)
        return Label(carrier=self.name, service=SERVICE, tracking_number=number, tracking_url=url, pdf=pdf)

    def suggested_delivery(self, parcel: Parcel) -> Delivery:
        return Delivery.DROP_OFF

    def find_shipment(self, reference: str) -> Label | None:
        raise CarrierError("The local carrier keeps no bookings to look up: its labels are the bot's own.")

    def service_points(self, address: Address, limit: int = 3) -> list[ServicePoint]:
        """None: the local carrier has no network of drop-off points."""
        return []

    def check(self) -> list[str]:
        return []

    def void(self, tracking_number: str) -> None:
        """Nothing to cancel: no carrier was booked. Only checks that the number is one of ours.

        The bot marks the label voided in its own database (one conditional UPDATE, safe across
        instances); remembering voided numbers here would be per-process and wrong with several instances.
        """
        self._own(tracking_number)

    def tracking_status(self, tracking_number: str) -> str:
        """What the warehouse's newest scan of the parcel says (`scans`); UNKNOWN before any, or without scans."""
        number = self._own(tracking_number)
        if self._scans is None:
            return LabelStatus.UNKNOWN
        status = self._scans(number)
        return status if status in (LabelStatus.IN_TRANSIT, LabelStatus.DELIVERED) else LabelStatus.UNKNOWN

    def _own(self, tracking_number: str) -> str:
        number = tracking.normalize(tracking_number)
        if not (
            tracking.is_valid(number) and number.startswith(self._service_indicator) and number.endswith(self._country)
        ):
            raise CarrierError(f"{tracking_number!r} is not a tracking number of the local carrier.")
        return number

    @staticmethod
    def _check(request: ReturnShipmentRequest) -> None:
        """Refuse what would print an unusable label, with what to fix."""
        missing = _missing(request.sender)
        if missing:
            raise CarrierError(
                f"The customer's address is incomplete (missing {', '.join(missing)}). "
                "Fix it in the return form and try again."
            )
        missing = _missing(request.receiver)
        if missing:
            raise CarrierError(
                f"The shop's return address is incomplete (missing {', '.join(missing)}). "
                "Ask an administrator to set the RETURN_ADDRESS_* settings."
            )
        if not request.items:
            raise CarrierError("Choose at least one item to return.")
        pickup = request.delivery == Delivery.PICKUP
        if pickup and request.pickup_date is not None and request.pickup_date < request.created:
            raise CarrierError(f"The pickup date {request.pickup_date.isoformat()} is in the past. Pick a later date.")
