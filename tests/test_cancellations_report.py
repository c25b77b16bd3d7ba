"""`returnbot report cancellations`: why orders were cancelled, how many, and what was refunded with them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.main.cli import main
from commands import cancellations, refund_decisions
from commands.cancellations import CancelForm
from commands.report_cancellations import cancellation_report
from commands.services import Services
from domain.cancellations import CancelReason, CancelRefund
from domain.money import Money
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage.db import Database, make_engine
from storage.migrate import upgrade

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def cancel(services: Services, number: str, form: CancelForm) -> None:
    order = services.store.get_order(str(int(number.lstrip("#")) - 1000))
    assert order is not None
    requested = cancellations.request_cancellation(
        services, order, form, requester="U_AGENT", submission_key=f"report-{number}",
        auto_approve_limit=Decimal(10_000),
    )
    assert requested.request is not None
    assert refund_decisions.execute(services, requested.request.id, actor="U_AGENT").ran


def three_cancellations(db: Database) -> Services:
    seed_demo_orders(db)
    services = Services(db=db, store=LocalStore(db, clock=lambda: NOW), clock=lambda: NOW)
    cancel(services, "#1024", CancelForm())
    cancel(services, "#1023", CancelForm(reason=CancelReason.FRAUD))
    cancel(services, "#1021", CancelForm(refund=CancelRefund.NONE, notify_customer=False))
    return services


def test_the_report_counts_reasons_orders_and_refunds(db: Database) -> None:
    services = three_cancellations(db)

    report = cancellation_report(services, date(2026, 11, 1), date(2026, 11, 30))

    assert report.orders == 3
    customer, fraud = report.reasons
    assert (customer.reason, customer.orders, customer.no_refund) == (CancelReason.CUSTOMER, 2, 1)
    assert customer.refunded == {"EUR": Money(Decimal("167.90"), "EUR")}
    assert (fraud.reason, fraud.orders) == (CancelReason.FRAUD, 1)
    assert fraud.refunded == {"EUR": Money(Decimal("287.70"), "EUR")}
    assert report.refunded == {"EUR": Money(Decimal("455.60"), "EUR")}
    table = report.table()
    assert "Customer changed their mind       2   67 %  167.90 EUR" in table and "Total" in table
    assert "FRAUD,1,0,287.70,EUR" in report.csv_text()
    assert cancellation_report(services, date(2026, 10, 1), date(2026, 10, 31)).orders == 0


def test_the_command_line_prints_the_table_and_writes_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'rb.db'}"
    engine = make_engine(url)
    upgrade(engine)
    three_cancellations(Database(engine))
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("STORE", "local")
    out = tmp_path / "cancellations.csv"

    assert main(["report", "cancellations", "--from", "2026-11-01", "--to", "2026-11-30", "--csv", str(out)]) == 0

    printed = capsys.readouterr().out
    assert "Cancellations 2026-11-01 to 2026-11-30: 3 orders" in printed and "455.60 EUR" in printed
    assert out.read_text().startswith("reason,orders,orders_without_refund,refunded,currency")
    assert main(["report", "cancellations", "--from", "2026-12-01", "--to", "2026-11-01"]) == 2
    assert "ends (2026-11-01) before it starts" in capsys.readouterr().err
