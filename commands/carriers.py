"""Which carrier a return goes with, and the drop-off points it offers.

`CARRIER` is the default; `CARRIER_BY_COUNTRY` picks one by the customer's country; the agent may choose any
carrier that is set up in the return form. A case keeps the carrier it was opened with (its name), and a label
the carrier that made it, so a change of settings never sends a booked return's questions to another carrier.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from commands.errors import UserError
from commands.services import Services
from domain.carrier import Carrier, CarrierError, ServicePoint
from domain.orders import Address

POINTS_SHOWN = 3


def all_carriers(services: Services) -> dict[str, Carrier]:
    """Every carrier set up, by name, the default first."""
    found: dict[str, Carrier] = {}
    if services.carrier is not None:
        found[services.carrier.name] = services.carrier
    for name, carrier in services.carriers.items():
        found.setdefault(name, carrier)
    return found


def named(services: Services, name: str = "") -> Carrier:
    """The carrier called `name` ("" = the default); a UserError when it is not set up on this bot."""
    carriers = all_carriers(services)
    if not carriers:
        raise UserError("No carrier is set up on this bot.")
    if not name:
        return next(iter(carriers.values()))
    if name not in carriers:
        raise UserError(f"The carrier “{name}” is not set up on this bot: choose {', '.join(carriers)}.")
    return carriers[name]


def for_country(services: Services, country: str) -> Carrier:
    """The carrier a customer in `country` (ISO-2) gets unless the agent chooses another."""
    name = services.carrier_by_country.get((country or "").strip().upper(), "")
    carriers = all_carriers(services)
    return carriers[name] if name in carriers else named(services)


def nearest_points(services: Services, carrier: Carrier, address: Address) -> list[ServicePoint]:
    """The drop-off points nearest to the customer; [] when the carrier offers none or cannot say right now
    (the return goes ahead: the points are a help, not a condition)."""
    try:
        return carrier.service_points(address, POINTS_SHOWN)[:POINTS_SHOWN]
    except CarrierError:
        return []


def point_dicts(points: Sequence[ServicePoint]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(p) for p in points]


def points_from(stored: Sequence[Mapping[str, Any]]) -> list[ServicePoint]:
    names = {f.name for f in dataclasses.fields(ServicePoint)}
    points = []
    for item in stored:
        try:
            points.append(ServicePoint(**{k: v for k, v in item.items() if k in names}))
        except TypeError:
            continue  # a point stored by an older version without a field: leave it out
    return points
