"""PostNord's Track and Trace feeds the return's life: the scheduler's tick asks PostNord about each label, a
parcel on its way puts the return in transit, a delivered one receives it, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from commands import returns
from commands import tick as ticks
from commands.services import Services
from domain.vocabulary import ReturnStatus
from integrations.carriers.postnord import PostNordCarrier, codes
from integrations.carriers.postnord.standin import FakePostNord
from storage.db import Database
from tests.lifecycle_env import WAREHOUSE, RecordingNotifier, clock_of, label_return, make_services


@pytest.fixture
def postnord() -> Iterator[FakePostNord]:
    with FakePostNord(return_postal_code=WAREHOUSE.zip) as fake:
        yield fake


@pytest.fixture
def services(db: Database, tmp_path: Path, postnord: FakePostNord) -> Services:
    services = make_services(db, tmp_path)
    services.carrier = PostNordCarrier(
        api_key=postnord.api_key, api_url=postnord.url, customer_number=postnord.customer_number,
        return_address=WAREHOUSE, sleep=lambda _seconds: None,
    )  # fmt: skip
    return services


def run(services: Services, notifier: RecordingNotifier) -> ticks.TickReport:
    return ticks.tick(services, notifier, now=services.clock(), owner="one")


def test_postnord_scans_move_the_return_on_and_delivered_receives_it_once(
    services: Services, postnord: FakePostNord
) -> None:
    notifier = RecordingNotifier()
    rma = label_return(services)
    label = returns.get_case(services.db, rma).label
    assert label is not None and label.carrier == "postnord" and label.tracking_number in postnord.bookings

    clock_of(services).advance(timedelta(minutes=1))
    run(services, notifier)
    assert returns.get_case(services.db, rma).status is ReturnStatus.LABEL_CREATED  # CREATED: no news yet

    postnord.scan(label.tracking_number, "EN_ROUTE")
    clock_of(services).advance(timedelta(hours=2))
    run(services, notifier)
    assert returns.get_case(services.db, rma).status is ReturnStatus.IN_TRANSIT

    postnord.scan(label.tracking_number, "DELIVERED")
    clock_of(services).advance(timedelta(days=1))
    assert run(services, notifier).received == 1
    received = returns.get_case(services.db, rma)
    assert received.status is ReturnStatus.RECEIVED and received.received_by == "carrier"
    clock_of(services).advance(timedelta(days=1))
    assert run(services, notifier).received == 0
    assert notifier.calls == [("received", rma)]
    asked = [c for c in postnord.calls if c.path == codes.TRACKING_PATH]
    assert asked and all(c.params["id"] == label.tracking_number for c in asked)
    postnord.assert_no_rejections()


def test_postnord_down_during_a_tick_leaves_the_return_as_it_was(services: Services, postnord: FakePostNord) -> None:
    notifier = RecordingNotifier()
    rma = label_return(services)
    postnord.fail_next("500", times=3, path=codes.TRACKING_PATH)
    clock_of(services).advance(timedelta(hours=2))
    run(services, notifier)
    assert returns.get_case(services.db, rma).status is ReturnStatus.LABEL_CREATED
