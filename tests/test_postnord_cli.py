"""`CARRIER=postnord` pointed at the fake PostNord, as a person runs the bot: the shell books a return, saves
PostNord's label and e-mails it; `doctor` says whether PostNord accepts the set-up and names what to fix."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from bot.main.config import load_settings
from bot.main.doctor import check_carrier
from integrations.carriers.postnord.standin import FakePostNord
from tests.test_cli import returnbot


@pytest.fixture
def postnord() -> Iterator[FakePostNord]:
    with FakePostNord(return_postal_code="00140") as fake:  # the demo warehouse in Helsinki
        yield fake


def postnord_env(fake: FakePostNord, **changes: str) -> dict[str, str]:
    return {"CARRIER": "postnord", "POSTNORD_API_URL": fake.url, "POSTNORD_API_KEY": fake.api_key,
            "POSTNORD_CUSTOMER_NUMBER": fake.customer_number, **changes}  # fmt: skip


def test_the_shell_books_a_postnord_return_saves_and_emails_its_label(tmp_path: Path, postnord: FakePostNord) -> None:
    proc = returnbot("shell", cwd=tmp_path, stdin="/order #1001\n2\n", env=postnord_env(postnord))
    assert proc.returncode == 0, proc.stderr
    (booking,) = postnord.bookings.values()
    assert f"Return label R1001-1 ({booking.item_id}) saved to files/return-label-R1001-1.pdf" in proc.stdout
    assert "PostNord Return Drop Off" in proc.stdout
    assert (tmp_path / "files" / "return-label-R1001-1.pdf").read_bytes() == booking.pdf
    [sent] = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(sent.read_bytes(), policy=default)
    assert isinstance(message, EmailMessage)
    [attachment] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert attachment.get_content() == booking.pdf
    assert [p.get_content_type() for p in message.walk()].count("image/png") == 1  # the drop-off QR code
    assert postnord.api_key not in proc.stdout + proc.stderr
    postnord.assert_no_rejections()


def test_doctor_accepts_postnord_and_names_a_refused_key(tmp_path: Path, postnord: FakePostNord) -> None:
    def checked(**changes: str) -> list[tuple[bool, str]]:
        settings = load_settings(**postnord_env(postnord, **changes), DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}")
        return [(c.ok, c.detail) for c in check_carrier(settings, 5)]

    assert checked() == [(True, "PostNord accepts the key and the services (default)")]
    [(ok, detail)] = checked(POSTNORD_API_KEY="0" * 32)
    assert not ok and detail.startswith("POSTNORD_API_KEY is refused by PostNord (HTTP 403)") and "0" * 32 not in detail
    refused = checked(POSTNORD_CUSTOMER_NUMBER="42")
    assert refused and all(not ok and "POSTNORD_CUSTOMER_NUMBER" in detail for ok, detail in refused)
    assert postnord.bookings == {}
