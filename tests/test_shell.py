"""The terminal client in-process: typed lines, the real Bolt app, the Slack stand-in; and its modal driver alone."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import BoltResponse
from sqlalchemy import select

from bot.shell.modal import ModalDriver, option_keys
from commands.services import ReturnSettings, Services
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail.outbox import OutboxMailer
from storage.db import Database
from storage.models import ReturnCaseRow
from storage.serials import next_serial
from tests.slack_harness import shell
from tests.test_returns_workflow import WAREHOUSE

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def services(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.chdir(tmp_path)  # the shell saves label PDFs under ./files
    seed_demo_orders(db)
    return Services(
        db=db, store=LocalStore(db), clock=lambda: NOW, mailer=OutboxMailer(tmp_path / "outbox"),
        carrier=LocalCarrier(lambda: next_serial(db, "tracking", NOW)),
        returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
    )  # fmt: skip



def test_an_unknown_command_gets_one_line_and_no_bolt_advice(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        out = shell(services, "/foo bar", "/order #1001")
    assert "/foo is not a command of this bot. Type help." in out
    assert "ORDER #1001" in out  # the shell goes on
    assert [r.getMessage() for r in caplog.records if "Unhandled request" in r.getMessage()] == []
    assert "@app.command" not in out + caplog.text


def test_the_return_form_takes_a_quantity_and_clears_a_field(services: Services, db: Database) -> None:
    # #1016: 3 × socks, 1 × mittens. Quantity 1 of the socks; keep the rest (no exchange); clear the phone; no e-mail.
    answers = ["1", *[""] * 13, "-", "-"]
    out = shell(services, "/return #1016", *answers)
    assert "0) [ ] 0 of 3" in out and "1) [ ] 1 of 3" in out and "3) [x] 3 of 3" in out
    assert "has its label" in out
    with db.session() as session:
        case = session.scalars(select(ReturnCaseRow)).one()
    assert sorted(item["quantity"] for item in case.items) == [1, 1]
    assert case.pickup_phone == "" and case.email_customer is False


# -- the modal driver alone ------------------------------------------------------------------------------------


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(label), "value": value}


QUANTITIES = [option(str(n), f"{n} of 3") for n in range(4)]
REASONS = [option("damaged", "Damaged"), option("unwanted", "Unwanted")]


def block(block_id: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain(block_id.title()), "optional": optional,
            "element": {"action_id": "value", **element}}  # fmt: skip


FORM = {
    "id": "V1", "hash": "1.a", "type": "modal", "callback_id": "form", "title": plain("Form"), "submit": plain("Go"),
    "blocks": [
        block("qty", {"type": "static_select", "options": QUANTITIES, "initial_option": QUANTITIES[0]}),
        block("reason", {"type": "static_select", "options": REASONS}),
        block("name", {"type": "plain_text_input", "initial_value": "Anna"}),
        block("phone", {"type": "plain_text_input", "initial_value": "+358 40 123"}, optional=True),
        block("size", {"type": "radio_buttons", "options": REASONS, "initial_option": REASONS[1]}, optional=True),
    ],
}  # fmt: skip


class StubShell:
    """What the modal driver uses of the shell: lines in, text out, one dispatch answering `reply`."""

    def __init__(self, answers: list[str], reply: dict[str, Any] | None = None) -> None:
        self.lines: Iterator[str] = iter(answers)
        self.out: list[str] = []
        self.users: dict[str, str] = {}
        self.submitted: list[dict[str, Any]] = []
        self.reply = reply

    def say(self, text: str) -> None:
        self.out.append(text)

    def read(self, prompt: str) -> str | None:
        self.out.append(prompt)
        return next(self.lines, None)

    def dispatch(self, body: str) -> BoltResponse:
        self.submitted.append(json.loads(parse_qs(body)["payload"][0])["view"]["state"]["values"])
        return BoltResponse(status=200, body=json.dumps(self.reply) if self.reply else "")


def fill(answers: list[str], reply: dict[str, Any] | None = None) -> tuple[StubShell, dict[str, Any]]:
    stub = StubShell(answers, reply)
    assert ModalDriver(stub, "U1").show("views.open", FORM)  # type: ignore[arg-type]
    [values] = stub.submitted
    return stub, {block_id: entry["value"] for block_id, entry in values.items()}


def test_a_quantity_list_is_answered_with_the_quantity() -> None:
    stub, values = fill(["1", "2", "", "", ""])
    assert values["qty"]["selected_option"]["value"] == "1"  # not the first option, "0 of 3"
    assert values["reason"]["selected_option"]["value"] == "unwanted"  # other lists count from 1
    assert "│   0) [x] 0 of 3" in stub.out and "│   1) [ ] Damaged" in stub.out


def test_a_dash_clears_an_optional_field_and_a_required_one_is_kept() -> None:
    stub, values = fill(["", "1", "-", "", "-", "-"])
    assert values["name"]["value"] == "Anna"  # required: "-" was refused, Enter kept it
    assert any("this field is required" in line for line in stub.out)
    assert values["phone"]["value"] is None
    assert values["size"]["selected_option"] is None


def test_typing_a_number_that_is_not_offered_asks_again() -> None:
    stub, values = fill(["4", "3", "0", "1", "", "", ""])
    assert values["qty"]["selected_option"]["value"] == "3"  # "4" is no quantity here
    assert values["reason"]["selected_option"]["value"] == "damaged"  # "0" is no option number
    assert sum("✖ type a number from the list" in line for line in stub.out) == 2


def test_an_answer_slack_would_refuse_is_said_so() -> None:
    broken = {"response_action": "update", "view": {"type": "modal", "blocks": [{"type": "divider"}]}}
    stub, _values = fill(["", "1", "", "", ""], reply=broken)
    assert any("Slack would refuse the bot's answer" in line and "title" in line for line in stub.out)


@pytest.mark.parametrize(
    ("values", "keys"),
    [(["0", "1", "2"], ["0", "1", "2"]), (["yes", "no"], ["1", "2"]), (["1", "1"], ["1", "2"]), ([], [])],
)
def test_option_keys(values: list[str], keys: list[str]) -> None:
    assert option_keys([option(v, v) for v in values]) == keys
