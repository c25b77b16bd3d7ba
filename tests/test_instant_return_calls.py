"""An instant return on Shopify makes only the calls it cannot do without: the order is found and read in one
document each, Shopify is read once more (its returns and what can be returned, together) before the two mutations,
and Slack gets the card, the return's message, the label's three upload steps and the message's one update."""

from __future__ import annotations

from datetime import UTC, datetime

from commands.services import ReturnSettings, Services
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.mail import OutboxMailer
from integrations.shopify.standin.returns import install_returns
from storage.db import Database
from storage.serials import next_serial
from tests.shopify_env import shopify
from tests.slack_harness import start_harness
from tests.test_returns_workflow import WAREHOUSE

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_an_instant_return_reads_shopify_twice_and_posts_two_messages(db: Database, tmp_path) -> None:
    seed_demo_orders(db)
    with shopify() as (fake, store):
        install_returns(fake)
        services = Services(
            db=db, store=store, clock=lambda: NOW, carrier=LocalCarrier(lambda: next_serial(db, "tracking", NOW)),
            mailer=OutboxMailer(tmp_path / "outbox"),
            returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
        )  # fmt: skip
        slack = start_harness(services)
        try:
            fake.clear()
            slack.fake.clear()
            slack.command("/return", "#1002 instant")
            [upload] = slack.fake.files
            methods = [c.method for c in slack.fake.calls if c.method != "auth.test"]
        finally:
            slack.close()
        operations = [c.operation_name for c in fake.calls]
    assert upload.filename.startswith("return-label-R1002")
    assert operations == ["OrderSearch", "OrderDetail", "ReturnState", "ReturnCreate", "ReverseDeliveryCreate"]
    assert methods.count("chat.postMessage") == 2  # the card and the return's message in its thread
    assert methods.count("chat.update") == 1  # that message, once the label is there
    uploads = [m for m in methods if m.startswith("files.")]
    assert uploads == ["files.getUploadURLExternal", "files.completeUploadExternal"]
