"""The whole chain, time injected, a real SMTP server, both stores, SQLite and PostgreSQL: a label, the day-14
reminder with the customer's e-mail, the day-21 escalation, Mark received, the follow-up e-mail, then nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest

from commands import return_lifecycle as rl
from commands import returns
from commands import tick as ticks
from commands.services import Services
from domain.vocabulary import ReturnStatus
from integrations.mail import SmtpMailer
from integrations.shopify.standin.returns import install_returns
from storage.db import Database
from tests.lifecycle_env import RecordingNotifier, clock_of, label_return, make_services
from tests.shopify_env import shopify
from tests.smtp_sink import Sink, smtp_sink


@pytest.fixture(params=["local", "shopify"])
def chain(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> Iterator[tuple[Services, Sink]]:
    with ExitStack() as stack:
        url, sink = stack.enter_context(smtp_sink())
        store = None
        if request.param == "shopify":
            fake, store = stack.enter_context(shopify())
            install_returns(fake)
        services = make_services(db, tmp_path, store=store, mailer=SmtpMailer(url), seed=store is None)
        yield services, sink


def subjects(sink: Sink) -> list[str]:
    return [str(m["Subject"]) for m in sink.messages]


def test_label_reminder_escalation_receipt_follow_up_then_nothing(chain: tuple[Services, Sink]) -> None:
    services, sink = chain
    notifier = RecordingNotifier()
    clock = clock_of(services)

    def tick() -> ticks.TickReport:
        return ticks.tick(services, notifier, now=clock(), owner="chain")

    rma = label_return(services)
    returns.email_label(services, rma)
    assert subjects(sink) == ["Jūsu atgriešanas etiķete pasūtījumam #1001"]

    clock.advance(timedelta(days=14, minutes=1))
    assert tick() == ticks.TickReport(reminders=1)
    assert subjects(sink)[1:] == ["Atgādinājums: pasūtījuma #1001 atgriešana"]
    reminder = sink.messages[1]
    assert [a.get_filename() for a in reminder.iter_attachments()] == [f"return-label-{rma}.pdf"]

    clock.advance(timedelta(days=7))
    assert tick() == ticks.TickReport(escalations=1)

    clock.advance(timedelta(days=2))
    case = returns.get_case(services.db, rma)
    received = rl.receive(services, rma, "U_WAREHOUSE", rl.full_receipt(case))
    assert received.won and received.emailed_to == "janis.berzins@example.com" and received.problem == ""
    assert received.case.status is ReturnStatus.RECEIVED
    follow_up = sink.messages[2]
    assert follow_up["Subject"] == f"Esam saņēmuši Jūsu atgriezto sūtījumu {rma}"
    body = follow_up.get_body(("plain",))
    assert body is not None
    assert f"Mēs saņēmām Jūsu atgriezto sūtījumu {rma} (pasūtījums #1001) trešdien, 2026. gada 25. novembrī." in (
        body.get_content()
    )

    for _ in range(6):  # the rest of the case's life, and then some
        clock.advance(timedelta(days=7))
        assert tick() == ticks.TickReport()
    assert notifier.calls == [("reminder", rma), ("escalation", rma)]  # a person's receipt is said by the bot itself
    assert len(sink.messages) == 3
