"""The done-when of issue 14 for Shipit, as a person runs it: `printf '/order #1001\n2\n' | returnbot shell` with
CARRIER=shipit pointed at the fake Shipit books the return with Shipit, saves its label and e-mails it with the
nearest drop-off points."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from integrations.carriers.shipit.standin import FakeShipit
from tests.test_cli import returnbot


def test_the_shell_books_a_shipit_return_saves_its_label_and_emails_it(tmp_path: Path) -> None:
    with FakeShipit() as fake:
        env = {"CARRIER": "shipit", "SHIPIT_API_URL": fake.url, "SHIPIT_API_KEY": fake.api_key,
               "SHIPIT_SERVICE_ID": fake.service_id, "SHIPIT_PICKUP_SERVICE_ID": fake.pickup_service_id}  # fmt: skip
        proc = returnbot("shell", cwd=tmp_path, stdin="/order #1001\n2\n", env=env)
        assert proc.returncode == 0, proc.stderr
        fake.assert_no_rejections()
        [shipment] = fake.data.shipments
    assert shipment.reference == "R1001-1" and shipment.body["sender"]["country"] == "LV"
    assert f"Return label R1001-1 ({shipment.tracking_number}) saved" in proc.stdout
    assert (tmp_path / "files" / "return-label-R1001-1.pdf").read_bytes() == shipment.pdf
    [eml] = (tmp_path / "outbox").glob("*R1001-1.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Tuvākās paku nodošanas vietas:" in body.get_content()  # Latvian: the customer's
    [pdf] = [p.get_content() for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf == shipment.pdf
