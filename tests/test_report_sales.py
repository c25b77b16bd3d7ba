"""`returnbot report sales` and `/report`: the figures checked against hand-computed ones on the demo orders, on the
local store and on Shopify (the fake Admin API's orders query, paged), with a replacement left out of the sales and
counted apart, returns by reason, CSV cells neutralised, and the command line and Slack around them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.common.approvers import Approvers
from bot.common.context import RefundSetup
from bot.main.cli import main
from commands import refund_decisions
from commands.errors import UserError
from commands.replacement_form import ReplacementForm
from commands.replacements import ReplacementPolicy, request_replacement
from commands.report_sales import csv_text, neutralised, parse_period, sales_report, summary_lines
from commands.services import Services
from domain.orders import Order, OrderQuery, SearchKind
from domain.store import Store
from domain.vocabulary import Delivery
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage import returns
from storage.db import Database
from tests.shopify_env import shopify
from tests.slack_harness import AGENT, CHANNEL, LEAD, ack_text, block_texts, start_harness

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SEPT_TO_NOV = (date(2026, 9, 1), date(2026, 11, 30))


@pytest.fixture(params=["local", "shopify"])
def services(request: pytest.FixtureRequest, db: Database) -> Iterator[Services]:
    seed_demo_orders(db)
    if request.param == "local":
        yield Services(db=db, store=LocalStore(db, clock=lambda: NOW), clock=lambda: NOW)
        return
    with shopify() as (_fake, store):
        yield Services(db=db, store=store, clock=lambda: NOW)


def order(store: Store, name: str) -> Order:
    (summary,) = store.find_orders(OrderQuery(SearchKind.NUMBER, name.lstrip("#")), 1)
    found = store.get_order(summary.ref.id)
    assert found is not None
    return found


def replace_socks(services: Services) -> str:
    original = order(services.store, "#1001")
    form = ReplacementForm(quantities={original.line_items[1].id: 2}, reason="lost_in_transit",
                           address=original.shipping_address)  # fmt: skip
    requested = request_replacement(services, ReplacementPolicy(Decimal(100)), original, form, requester=AGENT,
                                    submission_key="k1")  # fmt: skip
    done = refund_decisions.execute(services, requested.request.id, actor=AGENT).request
    return str(done.result["name"])


def open_return(services: Services, name: str, reasons: list[tuple[int, int, str]]) -> None:
    target = order(services.store, name)
    items = [{"line_item_id": target.line_items[i].id, "name": target.line_items[i].name, "sku": "", "quantity": q,
              "reason": reason} for i, q, reason in reasons]  # fmt: skip
    new = returns.NewCase(
        store=services.store.kind, order_id=target.ref.id, order_name=target.name, delivery=Delivery.DROP_OFF,
        pickup_date=None, pickup_phone="", weight_grams=1000, items=items, sender=target.shipping_address,
        customer_email="", email_customer=False, language="en", requested_by=AGENT, slack_channel="",
        slack_thread_ts="",
    )  # fmt: skip
    returns.insert_case(services.db, new, {li.id: li.quantity for li in target.line_items}, f"R{target.name[1:]}", NOW)


def test_the_figures_match_the_hand_computed_ones_and_a_replacement_is_counted_apart(services: Services) -> None:
    before = sales_report(services, *SEPT_TO_NOV)
    eur = before.totals["EUR"]
    # #1001 … #1024 in EUR, less #1007 and #1014 (cancelled): 15 orders
    assert (eur.orders, eur.gross, eur.refunds, eur.net, eur.cancelled) == (
        15, Decimal("3742.90"), Decimal("79.00"), Decimal("3663.90"), 2,
    )  # fmt: skip
    sek = before.totals["SEK"]
    assert (sek.orders, sek.gross, sek.refunds) == (4, Decimal("13469.00"), Decimal("4348.00"))
    assert before.totals["DKK"].gross == Decimal("7475.00") and before.replacement_count == 0

    made = replace_socks(services)
    open_return(services, "#1002", [(0, 1, "size_too_small"), (1, 1, "defective")])
    open_return(services, "#1006", [(0, 1, "size_too_small")])
    after = sales_report(services, *SEPT_TO_NOV)
    assert after.totals["EUR"] == eur  # the replacement is not a sale
    assert after.replacement_count == 1
    ((reason, currency), counted), = after.replacements.items()
    assert (reason, currency, counted.count, counted.list_value) == ("lost_in_transit", "EUR", 1, Decimal("59.80"))
    assert after.replacement_orders == [(made, "lost_in_transit", "EUR", Decimal("59.80"))]
    assert after.returns == {"size_too_small": 2, "defective": 1} and after.return_cases == 2
    lines = summary_lines(after)
    assert "  EUR: 15 orders · gross 3742.90 · refunds 79.00 · net 3663.90 · 2 cancelled (left out)" in lines
    assert "  Lost in transit: 1 · list value 59.80 EUR" in lines
    assert "  Too small: 2" in lines

    november = sales_report(services, date(2026, 11, 1), date(2026, 11, 30))
    # #1017 … #1024 in EUR: 421.90 + 381.90 + 217.90 + 410.90 + 287.70 + 167.90
    assert (november.totals["EUR"].orders, november.totals["EUR"].gross) == (6, Decimal("1888.20"))


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(services: Services) -> None:
    report = sales_report(services, *SEPT_TO_NOV)
    tricky = replace(report, replacement_orders=[("=HYPERLINK(\"x\")", "other", "EUR", Decimal("-1")),
                                                 ("@SUM(A1)", "other", "EUR", Decimal(1))])  # fmt: skip
    text = csv_text(tricky)
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and ",'-1.00" in text
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in text.splitlines() for cell in row.split(","))
    assert [neutralised(v) for v in ("+1", "-2", "ok", "\tx")] == ["'+1", "'-2", "ok", "'\tx"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("2026-11-31", "2026-12-01", "YYYY-MM-DD"), ("2026-12-01", "2026-11-01", "ends"),
     ("2025-01-01", "2026-11-01", "at most 366 days")],
)  # fmt: skip
def test_bad_periods_are_refused_in_words(start: str, end: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_period(start, end)


def test_the_command_line_prints_the_summary_and_writes_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'rb.db'}")
    monkeypatch.setenv("STORE", "local")
    out = tmp_path / "sales.csv"
    assert main(["report", "sales", "--from", "2026-09-01", "--to", "2026-11-30", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "EUR: 15 orders · gross 3742.90 · refunds 79.00 · net 3663.90" in printed
    assert "sales,gross,EUR,,3742.90" in out.read_text()
    assert main(["report", "sales", "--from", "2026-12-01", "--to", "2026-11-01"]) == 2
    assert "ends (2026-11-01) before it starts" in capsys.readouterr().err


def test_slash_report_is_for_team_leads(db: Database) -> None:
    seed_demo_orders(db)
    services = Services(db=db, store=LocalStore(db, clock=lambda: NOW), clock=lambda: NOW)
    slack = start_harness(services, refunds=RefundSetup(approvers=Approvers(user_ids=frozenset({LEAD}))))
    try:
        slack.command("/report", "2026-09-01 2026-11-30", user=AGENT)
        assert slack.responses()[-1]["text"] == "Only team leads can see the sales report."
        assert slack.posted() == []
        slack.command("/report", "2026-09-01 2026-11-30", user=LEAD)
        text = block_texts(slack.posted(CHANNEL)[-1])
        assert "*EUR*: 15 orders · gross 3742.90 · refunds 79.00 · *net 3663.90*" in text
        assert "Replacements* (left out of the sales): 0" in text
        assert "YYYY-MM-DD" in ack_text(slack.command("/report", "yesterday today", user=LEAD))
    finally:
        slack.close()
    slack.fake.assert_no_errors()
