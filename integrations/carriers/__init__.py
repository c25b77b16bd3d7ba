"""Carriers: book return shipments and get their labels.

The protocol and value types live in `protocol`; adapters in their own modules (`local`, …), imported
by whoever wires the services so that ReportLab or an HTTP client loads only when that carrier is used.
"""

from integrations.carriers.protocol import (
    DELIVERIES,
    LANGUAGES,
    Carrier,
    CarrierError,
    Delivery,
    Label,
    Parcel,
    ReturnItem,
    ReturnShipmentRequest,
    TrackingStatus,
)

__all__ = [
    "DELIVERIES",
    "LANGUAGES",
    "Carrier",
    "CarrierError",
    "Delivery",
    "Label",
    "Parcel",
    "ReturnItem",
    "ReturnShipmentRequest",
    "TrackingStatus",
]
