"""The return workflow without Slack: draft, form checks, one case per RMA, one label, one e-mail."""

from __future__ import annotations

import email
import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from email import policy
from pathlib import Path

import pytest

from commands import returns
from commands.errors import UserError
from commands.lookup import look_up
from commands.services import ReturnSettings, Services
from domain.carrier import CarrierError
from domain.orders import Address
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import OutboxMailer
from storage.db import Database
from storage.serials import next_serial

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WAREHOUSE = Address(
    name="Returnbot Demo Warehouse", address1="Tehtaankatu 12", zip="00140", city="Helsinki", country="FI"
)


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Services:
    seed_demo_orders(db)
    return Services(
        db=db,
        store=LocalStore(db),
        clock=lambda: NOW,
        carrier=LocalCarrier(lambda: next_serial(db, "tracking", NOW)),
        mailer=OutboxMailer(tmp_path / "outbox"),
        returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
    )


def order_id(services: Services, name: str) -> str:
    result = look_up(services, name)
    assert result.order is not None
    return result.order.ref.id


def test_the_draft_is_the_reversed_shipment(services: Services) -> None:
    draft = returns.draft_return(services, order_id(services, "#1001"))
    assert draft.sender.name == "Jānis Bērziņš" and draft.sender.city == "Rīga"
    assert draft.receiver == WAREHOUSE
    assert [(i.name, i.quantity) for i in draft.items][1] == ("Wool Hiking Socks 3-pack - 43-46", 2)
    assert draft.language == "lv"
    form = returns.default_form(draft)
    assert form.email_customer and form.delivery == "drop_off" and form.weight_grams == 1000


@pytest.mark.parametrize(
    ("order", "why"),
    [("#1020", "has shipped yet"), ("#1007", "was cancelled"), ("#1014", "was cancelled")],
)
def test_orders_with_nothing_to_return_say_why(services: Services, order: str, why: str) -> None:
    with pytest.raises(UserError, match=why):
        returns.draft_return(services, order_id(services, order))


def test_form_errors_are_per_field(services: Services) -> None:
    draft = returns.draft_return(services, order_id(services, "#1001"))
    form = returns.default_form(draft)
    first = draft.items[0].line_item_id
    bad = replace(
        form,
        quantities={**form.quantities, first: 5},
        weight_grams=0,
        sender=replace(form.sender, zip="", city=""),
        delivery="pickup",
        pickup_date=date(2026, 11, 22),
        pickup_phone="12",
    )
    errors = returns.form_errors(draft, bad, NOW.date())
    assert errors["items"].startswith("At most 1 × Kaamos Down Jacket")
    assert "weigh" in errors["weight"]
    assert errors["address"] == "The customer's address is missing the postcode, city."
    assert errors["pickup_date"] == "A pickup can be booked from tomorrow on."
    assert "phone" in errors["pickup_phone"]
    nothing = replace(form, quantities=dict.fromkeys(form.quantities, 0))
    assert returns.form_errors(draft, nothing, NOW.date())["items"] == "Choose at least one item to return."
    assert returns.form_errors(draft, replace(form, weight_grams=31_000), NOW.date())["weight"].startswith("At most 30")
    assert returns.parse_weight("1,25") == 1250 and returns.parse_weight("heavy") == 0


def test_a_return_gets_one_case_one_label_and_one_email(services: Services, tmp_path: Path) -> None:
    draft = returns.draft_return(services, order_id(services, "#1001"))
    opened = returns.open_case(services, draft, returns.default_form(draft), "U1")
    assert opened.created and opened.case.rma == "R1001-1"
    case = returns.create_label(services, "R1001-1")
    assert case.status == "label_created" and case.label is not None
    assert case.label.pdf.startswith(b"%PDF") and case.label.tracking_number.endswith("FI")
    assert returns.create_label(services, "R1001-1").label == case.label  # a repeat books nothing new

    assert returns.email_label(services, "R1001-1").to == "janis.berzins@example.com"
    returns.email_label(services, "R1001-1")  # pressed again: still one e-mail
    [sent] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(sent.read_bytes(), policy=policy.default)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == case.label.pdf
    assert str(message["Subject"]) == "Jūsu atgriešanas etiķete pasūtījumam #1001"  # Latvian: the order is from Rīga
    assert "R1001-1" in message.get_body(("plain",)).get_content()

    # the next return of the same order finds nothing left, and says where it went
    with pytest.raises(UserError, match=r"already in a return \(R1001-1\)"):
        returns.draft_return(services, order_id(services, "#1001"))


def test_the_cases_handed_on_without_a_read_are_the_cases_a_read_gives(services: Services) -> None:
    # open_case and create_label build the case they have just written instead of reading it back: the same case
    draft = returns.draft_return(services, order_id(services, "#1002"))
    opened = returns.open_case(services, draft, returns.default_form(draft), "U1")
    assert opened.case == returns.get_case(services.db, opened.case.rma)
    labelled = returns.create_label(services, opened.case.rma, case=opened.case)
    assert labelled.label is not None
    assert labelled == returns.get_case(services.db, opened.case.rma)


def test_the_same_return_clicked_twice_hands_on_the_first_case_as_a_read_gives_it(services: Services) -> None:
    draft = returns.draft_return(services, order_id(services, "#1002"))
    first = returns.open_case(services, draft, returns.default_form(draft), "U1")
    returns.create_label(services, first.case.rma, case=first.case)
    again = returns.open_case(services, draft, returns.default_form(draft), "U2")
    assert not again.created and again.case.label is not None
    assert again.case == returns.get_case(services.db, first.case.rma)


@pytest.mark.parametrize("name", ["#1001", "#1002", "#1007", "#1020"])
def test_the_card_says_what_can_return_and_which_returns_from_one_read(services: Services, name: str) -> None:
    order = look_up(services, name).order
    assert order is not None
    for _ in range(2):  # before any return, and once everything left is in one
        held = returns.order_returns(services, order)
        assert held.can_return == returns.can_return(services, order)
        assert held.cases == returns.cases_for_order(services.db, order.ref.id)
        if not held.can_return:
            break
        draft = returns.draft_for(services, order)
        returns.open_case(services, draft, returns.default_form(draft), "U1")


def test_two_agents_at_once_open_one_case(services: Services) -> None:
    draft = returns.draft_return(services, order_id(services, "#1002"))
    form = returns.default_form(draft)
    results: list[returns.Opened] = []
    start = threading.Barrier(4)

    def agent(user: str) -> None:
        start.wait()
        results.append(returns.open_case(services, draft, form, user))

    threads = [threading.Thread(target=agent, args=(f"U{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.created for r in results) == 1
    assert {r.case.rma for r in results} == {"R1002-1"}


def test_a_carrier_failure_is_kept_for_retry_and_retry_books_once(services: Services) -> None:
    draft = returns.draft_return(services, order_id(services, "#1003"))
    returns.open_case(services, draft, returns.default_form(draft), "U1")
    real = services.carrier
    calls: list[str] = []

    class Flaky:
        name = "local"

        def create_return_shipment(self, request):
            calls.append(request.rma)
            if len(calls) == 1:
                raise CarrierError("The carrier timed out.", retryable=True)
            return real.create_return_shipment(request)

        def __getattr__(self, name):  # the rest of the Carrier protocol: the real carrier's
            return getattr(real, name)

    services.carrier = Flaky()  # type: ignore[assignment]
    with pytest.raises(UserError, match="timed out"):
        returns.create_label(services, "R1003-1")
    assert returns.get_case(services.db, "R1003-1").error == "The carrier timed out."
    case = returns.create_label(services, "R1003-1")
    assert case.label is not None and case.error == ""
    returns.create_label(services, "R1003-1")
    assert calls == ["R1003-1", "R1003-1"]


def test_an_order_without_email_cannot_be_mailed(services: Services) -> None:
    draft = returns.draft_return(services, order_id(services, "#1012"))
    form = returns.default_form(draft)
    assert not form.email_customer
    assert returns.form_errors(draft, replace(form, email_customer=True), NOW.date())["email"].startswith(
        "The order has"
    )
    returns.open_case(services, draft, form, "U1")
    returns.create_label(services, "R1012-1")
    with pytest.raises(UserError, match="no e-mail address"):
        returns.email_label(services, "R1012-1")


def test_each_press_sends_the_label_again_and_a_repeated_press_does_not(services: Services, tmp_path: Path) -> None:
    draft = returns.draft_return(services, order_id(services, "#1001"))
    returns.open_case(services, draft, returns.default_form(draft), "U1")
    returns.create_label(services, "R1001-1")
    assert not returns.email_label(services, "R1001-1").again
    assert returns.email_label(services, "R1001-1", press="press-1").again
    returns.email_label(services, "R1001-1", press="press-1")  # the same press delivered twice
    elsewhere = returns.email_label(services, "R1001-1", to=" Anna@Example.ORG ", press="press-2")
    assert elsewhere.to == "Anna@example.org" and elsewhere.again
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    label = returns.get_case(services.db, "R1001-1").label
    assert label is not None
    assert [e.to for e in label.emails] == ["janis.berzins@example.com"] * 2 + ["Anna@example.org"]
    with pytest.raises(UserError, match="not an e-mail address"):
        returns.email_label(services, "R1001-1", to="anna@", press="press-3")


def test_voiding_an_emailed_label_tells_each_address_once_in_the_customers_language(
    services: Services, tmp_path: Path
) -> None:
    draft = returns.draft_return(services, order_id(services, "#1001"))
    returns.open_case(services, draft, returns.default_form(draft), "U1")
    returns.create_label(services, "R1001-1")
    returns.email_label(services, "R1001-1")
    returns.email_label(services, "R1001-1", to="anna@example.org", press="p1")
    returns.email_label(services, "R1001-1", press="p2")  # the customer again: told once all the same

    voided = returns.void_label(services, "R1001-1", "U1")

    assert voided.case.status == "cancelled" and voided.case.label is not None
    assert voided.case.label.status == "voided"
    assert voided.told.to == ("janis.berzins@example.com", "anna@example.org") and not voided.told.problem
    assert [n.to for n in voided.case.label.void_notices] == list(voided.told.to)  # kept for the thread's message
    notices = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted((tmp_path / "outbox").glob("*.eml"))
    ]
    voids = [m for m in notices if not list(m.iter_attachments())]
    assert sorted(str(m["To"]) for m in voids) == ["anna@example.org", "janis.berzins@example.com"]
    assert {str(m["Subject"]) for m in voids} == {"Pasūtījuma #1001 atgriešanas etiķete ir atcelta"}
    with pytest.raises(UserError, match="no label to void"):  # a second click: nothing more is sent
        returns.void_label(services, "R1001-1", "U2")
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == len(notices)


def test_a_label_never_emailed_is_voided_without_a_notice(services: Services, tmp_path: Path) -> None:
    draft = returns.draft_return(services, order_id(services, "#1012"))  # no e-mail address on the order
    returns.open_case(services, draft, returns.default_form(draft), "U1")
    returns.create_label(services, "R1012-1")
    voided = returns.void_label(services, "R1012-1", "U1")
    assert voided.told == returns.Told() and voided.case.status == "cancelled"
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").glob("*.eml"))


def test_nothing_shipped_says_what_can_be_done_and_offers_no_cancel(services: Services) -> None:
    with pytest.raises(UserError) as raised:
        returns.draft_return(services, order_id(services, "#1020"))
    assert "Nothing in order #1020 has shipped yet" in raised.value.message
    assert "cancel" not in raised.value.message.lower()  # there is no way to cancel an order yet
    assert "refund" in raised.value.message
