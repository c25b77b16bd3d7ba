"""The return label e-mail end to end: built, sent to a real SMTP server on 127.0.0.1, parsed back."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from domain.vocabulary import LANGUAGES, language_for
from integrations.mail import (
    MailError,
    OutboxMailer,
    SmtpMailer,
    label_email,
    label_text,
    mailer_from_settings,
    message_id_for,
    void_email,
)
from integrations.mail.void_texts import void_text

# Every byte value, so a transfer encoding that mangles binary data cannot go unnoticed.
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
SENDER = "returns@example.com"
SMTP_USER = "shop"
SMTP_PASSWORD = "p@ss:w/rd%1"  # needs percent-encoding in a URL
SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# The AUTH tests run without TLS on purpose (plain 127.0.0.1); aiosmtpd warns about exactly that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what arrives and refuses the recipients it is told to."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # session.ssl is set after STARTTLS; with TLS from the start only the transport knows.
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls=tls))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve() -> Iterator[Any]:
    """Starts aiosmtpd servers on 127.0.0.1: `serve(**smtp_options) -> (port, recorder)`."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[int, Recorder]:
        recorder = Recorder()
        for _ in range(5):  # the free port may be taken between probing and binding
            port = _free_port()
            controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
            try:
                controller.start()
            except OSError:
                continue
            controllers.append(controller)
            return port, recorder
        raise RuntimeError("no free port for the SMTP server")

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def closed_port() -> Iterator[int]:
    # Bound but not listening: connections are refused, and no other test can take the port meanwhile.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def _email(**overrides: Any) -> EmailMessage:
    values: dict[str, Any] = {
        "to": "anna.berzina@example.lv",
        "customer_name": "Anna Bērziņa",
        "language": "lv",
        "order_name": "#1001",
        "rma": "R1001-1",
        "tracking_number": "JJFI60123456789",
        "delivery": "pickup",
        "pickup_date": date(2026, 3, 3),
        "pdf": PDF,
        "sender": SENDER,
        "shop_name": "Rīgas Veikals",
        "idempotency_key": "op-7f3a",
        "now": SENT_AT,
    }
    values.update(overrides)
    return label_email(**values)


def _body(message: EmailMessage) -> str:
    # Line ends arrive as CRLF from SMTP; the text is compared as written.
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _only_attachment(message: EmailMessage) -> EmailMessage:
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    return attachments[0]  # type: ignore[return-value]


# --- SMTP delivery ------------------------------------------------------------------------------------


def test_latvian_label_arrives_with_pdf_and_diacritics_intact(serve: Any) -> None:
    port, server = serve()

    message_id = SmtpMailer(f"smtp://127.0.0.1:{port}").send(_email())

    [received] = server.received
    assert received.mail_from == SENDER
    assert received.rcpt_tos == ["anna.berzina@example.lv"]
    parsed = received.parsed()
    assert parsed["Message-ID"] == message_id == message_id_for("R1001-1", "op-7f3a", SENDER)
    assert parsed["Subject"] == "Jūsu atgriešanas etiķete pasūtījumam #1001"
    assert parsed["From"].addresses[0].display_name == "Rīgas Veikals"
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed["To"].addresses[0].addr_spec == "anna.berzina@example.lv"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Content-Language"] == "lv"
    assert parsedate_to_datetime(parsed["Date"]) == SENT_AT
    body = _body(parsed)
    assert body.startswith("Labdien, Anna!")
    for words in ("pasūtījumam #1001", "R1001-1", "JJFI60123456789", "otrdien, 2026. gada 3. martā", "Ar cieņu"):
        assert words in body
    attachment = _only_attachment(parsed)
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "return-label-R1001-1.pdf"
    assert attachment.get_content() == PDF


def test_finnish_drop_off_label(serve: Any) -> None:
    port, server = serve()
    message = _email(
        to="matti.meikalainen@example.fi",
        customer_name="Matti Meikäläinen",
        language=language_for("fi-FI", "FI"),
        order_name="#1002",
        rma="R1002-1",
        delivery="dropoff",
        pickup_date=None,
        shop_name="Kauppa Oy",
    )

    SmtpMailer(f"smtp://127.0.0.1:{port}").send(message)

    parsed = server.received[0].parsed()
    assert parsed["Subject"] == "Palautustarrasi tilaukselle #1002"
    body = _body(parsed)
    assert body.startswith("Hei Matti,")
    for words in ("palautuspyynnöstäsi", "kuljetusyhtiön palautuspisteeseen", "Seurantanumero: JJFI60123456789"):
        assert words in body
    assert "Ystävällisin terveisin\nKauppa Oy" in body
    assert _only_attachment(parsed).get_filename() == "return-label-R1002-1.pdf"
    assert _only_attachment(parsed).get_content() == PDF


def test_login_with_the_right_password_delivers(serve: Any) -> None:
    port, server = serve(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    url = f"smtp://{SMTP_USER}:{quote(SMTP_PASSWORD, safe='')}@127.0.0.1:{port}"

    SmtpMailer(url).send(_email())

    assert len(server.received) == 1
    assert _only_attachment(server.received[0].parsed()).get_content() == PDF


def test_wrong_password_is_reported_as_failed_authentication(serve: Any) -> None:
    port, server = serve(authenticator=_authenticator, auth_required=True, auth_require_tls=False)

    with pytest.raises(MailError) as failure:
        SmtpMailer(f"smtp://{SMTP_USER}:not-it@127.0.0.1:{port}").send(_email())

    assert "authentication failed" in str(failure.value)
    assert "'shop'" in str(failure.value)
    assert "not-it" not in str(failure.value)
    assert not failure.value.temporary
    assert server.received == []


def test_server_that_requires_a_login_says_so(serve: Any) -> None:
    port, server = serve(authenticator=_authenticator, auth_required=True, auth_require_tls=False)

    with pytest.raises(MailError, match="requires a login"):
        SmtpMailer(f"smtp://127.0.0.1:{port}").send(_email())
    assert server.received == []


def test_credentials_for_a_server_without_auth_are_reported(serve: Any) -> None:
    port, server = serve()  # offers no AUTH at all

    with pytest.raises(MailError, match=r"does not offer authentication \(AUTH\)"):
        SmtpMailer(f"smtp://{SMTP_USER}:secret@127.0.0.1:{port}").send(_email())
    assert server.received == []


@pytest.mark.parametrize(
    ("reply", "temporary"),
    [("550 5.1.1 User unknown", False), ("450 4.2.1 Mailbox busy, try later", True)],
)
def test_refused_recipient_is_named(serve: Any, reply: str, temporary: bool) -> None:
    port, server = serve()
    server.refuse["gone@example.lv"] = reply

    with pytest.raises(MailError) as failure:
        SmtpMailer(f"smtp://127.0.0.1:{port}").send(_email(to="gone@example.lv"))

    assert "refused the recipient gone@example.lv" in str(failure.value)
    assert reply in str(failure.value)
    assert failure.value.temporary is temporary
    assert server.received == []


def test_closed_port_is_reported_as_connection_refused(closed_port: int) -> None:
    with pytest.raises(MailError) as failure:
        SmtpMailer(f"smtp://127.0.0.1:{closed_port}", timeout=5).send(_email())

    assert "connection refused" in str(failure.value)
    assert f"127.0.0.1:{closed_port}" in str(failure.value)
    assert failure.value.temporary


def test_starttls_is_used_when_the_server_offers_it(serve: Any, certificate: tuple[Path, Path]) -> None:
    port, server = serve(tls_context=_server_tls(certificate), require_starttls=True)
    trusting = ssl.create_default_context(cafile=str(certificate[0]))

    SmtpMailer(f"smtp://127.0.0.1:{port}", ssl_context=trusting).send(_email())

    assert [received.tls for received in server.received] == [True]


def test_smtps_uses_tls_from_the_start(serve: Any, certificate: tuple[Path, Path]) -> None:
    port, server = serve(ssl_context=_server_tls(certificate))
    trusting = ssl.create_default_context(cafile=str(certificate[0]))

    SmtpMailer(f"smtps://127.0.0.1:{port}", ssl_context=trusting).send(_email())

    assert [received.tls for received in server.received] == [True]
    assert _only_attachment(server.received[0].parsed()).get_content() == PDF


def test_untrusted_certificate_stops_the_send(serve: Any, certificate: tuple[Path, Path]) -> None:
    port, server = serve(tls_context=_server_tls(certificate), require_starttls=True)

    with pytest.raises(MailError, match=r"certificate .* cannot be trusted"):
        SmtpMailer(f"smtp://127.0.0.1:{port}").send(_email())  # system trust store: self-signed is refused
    assert server.received == []


# --- addresses ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        *("", "   ", "anna", "anna@", "@example.lv", "anna@example", "anna berzina@example.lv", "a@b.lv, c@d.lv"),
        *("anna@exa_mple.lv", "anna..b@example.lv", "<anna@example.lv>", "anna@example.lv\r\nBcc: x@y.lv"),
    ],
)
def test_an_order_without_a_valid_address_gets_no_email(address: str) -> None:
    with pytest.raises(MailError, match="the order has no valid e-mail address"):
        _email(to=address)


def test_a_message_without_recipient_is_refused_before_connecting(closed_port: int) -> None:
    message = _email()
    del message["To"]

    # Not "connection refused": the address is checked before any server is contacted.
    with pytest.raises(MailError, match="the order has no valid e-mail address"):
        SmtpMailer(f"smtp://127.0.0.1:{closed_port}").send(message)


def test_international_domain_is_sent_in_ascii_form(serve: Any) -> None:
    port, server = serve()

    SmtpMailer(f"smtp://127.0.0.1:{port}").send(_email(to="anna@piemērs.lv"))

    assert server.received[0].rcpt_tos == ["anna@xn--piemrs-s3a.lv"]


# --- Message-ID ---------------------------------------------------------------------------------------


def test_a_resend_of_the_same_request_keeps_its_message_id() -> None:
    first = _email(now=SENT_AT)
    again = _email(now=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    other_request = _email(idempotency_key="op-other")

    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other_request["Message-ID"]
    assert first["Message-ID"].startswith("<R1001-1.")
    assert first["Message-ID"].endswith("@example.com>")


# --- outbox -------------------------------------------------------------------------------------------


def test_outbox_writes_a_parseable_eml_with_the_attachment(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    mailer = OutboxMailer(outbox, clock=lambda: datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC))

    message_id = mailer.send(_email())

    assert sorted(p.name for p in outbox.iterdir()) == ["20260302T093015.123456Z-R1001-1.eml"]  # no temp file left
    parsed = message_from_bytes((outbox / "20260302T093015.123456Z-R1001-1.eml").read_bytes(), policy=default)
    assert parsed["Message-ID"] == message_id
    assert parsed["Subject"] == "Jūsu atgriešanas etiķete pasūtījumam #1001"
    assert "otrdien, 2026. gada 3. martā" in _body(parsed)
    attachment = _only_attachment(parsed)  # type: ignore[arg-type]
    assert attachment.get_filename() == "return-label-R1001-1.pdf"
    assert attachment.get_content() == PDF


def test_outbox_keeps_a_non_ascii_mailbox_readable(tmp_path: Path) -> None:
    path = OutboxMailer(tmp_path).write(_email(to="jānis@example.lv"))

    # Written as SMTPUTF8 sends it: raw UTF-8, because an encoded-word is not allowed inside an address.
    raw = path.read_bytes()
    assert "To: jānis@example.lv\r\n".encode() in raw
    assert _only_attachment(message_from_bytes(raw, policy=default)).get_content() == PDF  # type: ignore[arg-type]


def test_outbox_refuses_a_message_without_valid_recipient(tmp_path: Path) -> None:
    message = _email()
    message.replace_header("To", "not-an-address")

    with pytest.raises(MailError, match="the order has no valid e-mail address"):
        OutboxMailer(tmp_path).send(message)
    assert list(tmp_path.iterdir()) == []


def test_outbox_that_cannot_be_written_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(MailError, match="cannot write the e-mail to the outbox"):
        OutboxMailer(blocker).send(_email())


# --- configuration ------------------------------------------------------------------------------------


def test_mailer_from_settings_picks_the_outbox_without_smtp_url(tmp_path: Path) -> None:
    mailer = mailer_from_settings("", tmp_path)
    assert isinstance(mailer, OutboxMailer)
    assert mailer.directory == tmp_path


def test_mailer_from_settings_reads_the_smtp_url(tmp_path: Path) -> None:
    mailer = mailer_from_settings("smtps://shop:top%40secret@mail.example.com", tmp_path)

    assert isinstance(mailer, SmtpMailer)
    assert (mailer.host, mailer.port, mailer.implicit_tls, mailer.username) == ("mail.example.com", 465, True, "shop")
    assert "secret" not in repr(mailer)


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://mail.example.com:notaport"])
def test_malformed_smtp_url_is_explained(url: str, tmp_path: Path) -> None:
    with pytest.raises(MailError, match="SMTP_URL must look like smtp://user:pass@host:port"):
        mailer_from_settings(url, tmp_path)


# --- language and texts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "country", "language"),
    [
        ("sv-SE", "SE", "sv"),
        ("sv-FI", "FI", "sv"),  # a Swedish speaker in Finland: the locale wins
        ("fi", "SE", "fi"),
        ("lv", "", "lv"),
        ("lt_LT", "LT", "lt"),
        ("EN-fi", "FI", "en"),
        ("de-DE", "FI", "en"),  # a language we have no texts for: English, not the country's language
        ("", "FI", "fi"),
        ("", "ax", "sv"),
        ("", "EE", "et"),
        ("", "LV", "lv"),
        ("", "LT", "lt"),
        ("", "DK", "da"),
        ("", "SE", "sv"),
        ("", "DE", "en"),
        ("", "", "en"),
    ],
)
def test_language_for(locale: str, country: str, language: str) -> None:
    assert language_for(locale, country) == language


@pytest.mark.parametrize(
    ("language", "pickup_day"),
    [
        ("en", "on Tuesday, 3 March 2026"),
        ("fi", "tiistaina 3.3.2026"),
        ("et", "teisipäeval, 3. märtsil 2026"),
        ("lv", "otrdien, 2026. gada 3. martā"),
        ("lt", "antradienį, 2026 m. kovo 3 d."),
        ("da", "tirsdag den 3. marts 2026"),
        ("sv", "tisdag den 3 mars 2026"),
    ],
)
def test_every_language_names_the_order_rma_tracking_and_pickup_day(language: str, pickup_day: str) -> None:
    text = label_text(
        language,
        customer_name="Kim Example",
        order_name="#1003",
        rma="R1003-2",
        tracking_number="TRK42",
        delivery="pickup",
        pickup_date=date(2026, 3, 3),
        shop_name="Demo Shop",
        return_address=["Demo Warehouse", "Tehtaankatu 12", "00140 Helsinki"],
    )

    assert "#1003" in text.subject
    for words in ("#1003", "R1003-2", "TRK42", pickup_day, "Tehtaankatu 12", "Demo Shop"):
        assert words in text.body
    assert ("Kim" in text.body) is (language != "lt")  # Lithuanian greets without a (vocative) name


def test_texts_differ_per_language_and_delivery() -> None:
    def text(language: str, delivery: str, pickup_date: date | None = None) -> str:
        return label_text(
            language,
            customer_name="",
            order_name="#1",
            rma="R1-1",
            tracking_number="T",
            delivery=delivery,
            pickup_date=pickup_date,
            shop_name="S",
        ).body

    assert len({label_text(lang, **_plain()).subject for lang in LANGUAGES}) == len(LANGUAGES)
    assert text("en", "drop-off") == text("en", "dropoff") != text("en", "pickup")
    assert "contact you to arrange the pickup" in text("en", "pickup")
    assert text("en", "dropoff").startswith("Hello,\n")
    assert text("xx", "dropoff") == text("en", "dropoff")
    with pytest.raises(ValueError, match="unknown delivery method"):
        text("en", "teleport")


def _plain() -> dict[str, Any]:
    return {
        "customer_name": "",
        "order_name": "#1",
        "rma": "R1-1",
        "tracking_number": "T",
        "delivery": "dropoff",
        "pickup_date": None,
        "shop_name": "S",
    }


# --- the "label voided" notice ------------------------------------------------------------------------


def test_the_voided_notice_arrives_in_latvian_without_the_label(serve: Any) -> None:
    port, server = serve()
    message = void_email(
        "anna.berzina@example.lv", "Anna Bērziņa", "lv", "#1001", "R1001-1", "JJFI60123456789", SENDER,
        "Rīgas Veikals", idempotency_key="void-email:R1001-1:1:anna.berzina@example.lv", now=SENT_AT,
    )  # fmt: skip

    SmtpMailer(f"smtp://127.0.0.1:{port}").send(message)

    [received] = server.received
    assert received.rcpt_tos == ["anna.berzina@example.lv"]
    parsed = received.parsed()
    assert parsed["Subject"] == "Pasūtījuma #1001 atgriešanas etiķete ir atcelta"
    assert parsed["Content-Language"] == "lv"
    assert parsed["Message-ID"] != message_id_for("R1001-1", "op-7f3a", SENDER)  # not the label e-mail's
    assert list(parsed.iter_attachments()) == []  # a voided label is not sent again
    body = _body(parsed)
    assert body.startswith("Labdien, Anna!")
    for words in ("R1001-1", "#1001", "JJFI60123456789", "nesūtiet paku", "Ar cieņu\nRīgas Veikals"):
        assert words in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_says_the_label_is_void(language: str) -> None:
    text = void_text(
        language, customer_name="Kim Example", order_name="#1003", rma="R1003-2", tracking_number="TRK42",
        shop_name="Demo Shop",
    )  # fmt: skip
    assert "#1003" in text.subject
    for words in ("#1003", "R1003-2", "TRK42", "Demo Shop"):
        assert words in text.body
    # its own words, not the label e-mail's
    assert text.subject != label_text(language, **_plain()).subject.replace("#1", "#1003")


def test_void_texts_differ_per_language_and_fall_back_to_english() -> None:
    def subject(language: str) -> str:
        return void_text(
            language, customer_name="", order_name="#1", rma="R1-1", tracking_number="", shop_name="S"
        ).subject

    assert len({subject(language) for language in LANGUAGES}) == len(LANGUAGES)
    assert subject("xx") == subject("en") == "Your return label for order #1 has been cancelled"
