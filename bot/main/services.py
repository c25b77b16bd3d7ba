"""Wiring: one `Services` built from configuration, and the start-up every command shares."""

from __future__ import annotations

import logging

from bot.common.approvers import Approvers
from bot.common.context import BotContext, RefundSetup
from bot.common.worker import WorkerPool
from bot.main.config import Settings
from commands.refunds import RefundPolicy
from commands.services import LifecycleSettings, ReturnSettings, Services
from domain.carrier import Carrier
from domain.orders import Address
from domain.store import Store
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import mailer_from_settings
from integrations.shopify.client import ShopifyClient
from integrations.shopify.store import ShopifyStore
from storage import carrier_scans
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.serials import next_serial

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot go on; the message says why, for the person starting the bot."""


def open_database(settings: Settings) -> Database:
    """The configured database, migrated to the current schema."""
    engine = make_engine(settings.DATABASE_URL)
    try:
        upgrade(engine)
    except Exception as exc:
        engine.dispose()
        raise StartupError(f"DATABASE_URL: cannot use the database: {first_line(exc)}") from exc
    return Database(engine)


def build_services(settings: Settings, db: Database | None = None) -> Services:
    db = db or open_database(settings)
    if settings.STORE == "shopify":
        store: Store = shopify_store(settings)
    else:
        if db.dialect == "sqlite":
            _seed_demo(db)
        # the services' clock, looked up at each refund: whoever replaces `services.clock` stamps refunds too
        store = LocalStore(db, clock=lambda: services.clock())
    services = Services(db=db, store=store, mailer=mailer_from_settings(settings.SMTP_URL, settings.OUTBOX_DIR))
    services.carrier = _carrier(settings, services)
    services.returns = ReturnSettings(address=_return_address(settings), email=settings.RETURN_ADDRESS_EMAIL,
                                      shop_name=settings.RETURN_ADDRESS_NAME)  # fmt: skip
    services.lifecycle = lifecycle_settings(settings)
    return services


def lifecycle_settings(settings: Settings) -> LifecycleSettings:
    """When the scheduler reminds, escalates, expires and sends the digest."""
    return LifecycleSettings(
        reminder_days=settings.RETURN_REMINDER_DAYS, escalation_days=settings.RETURN_ESCALATION_DAYS,
        expiry_days=settings.RETURN_EXPIRY_DAYS, customer_reminder=settings.RETURN_CUSTOMER_REMINDER,
        escalation_channel=settings.escalation_channel, digest_channel=settings.digest_channel,
        digest_time=settings.digest_time, timezone=settings.timezone,
    )  # fmt: skip


def _carrier(settings: Settings, services: Services) -> Carrier:
    if settings.CARRIER != "local":
        raise StartupError(f"CARRIER: {settings.CARRIER} labels are not available in this version; use CARRIER=local")
    # tracking serials come from the database, so that no two instances print the same number
    # its tracking answers from the warehouse's scans (`returnbot carrier-scan`), kept in the database
    return LocalCarrier(
        lambda: next_serial(services.db, "tracking", services.clock()), settings.RETURN_ADDRESS_COUNTRY,
        scans=lambda number: carrier_scans.latest(services.db, number),
    )  # fmt: skip


def _return_address(settings: Settings) -> Address:
    return Address(
        name=settings.RETURN_ADDRESS_NAME, address1=settings.RETURN_ADDRESS_STREET, zip=settings.RETURN_ADDRESS_ZIP,
        city=settings.RETURN_ADDRESS_CITY, country=settings.RETURN_ADDRESS_COUNTRY, phone=settings.RETURN_ADDRESS_PHONE,
    )  # fmt: skip


def shopify_store(settings: Settings) -> ShopifyStore:
    client = ShopifyClient(settings.shopify_admin_url, settings.SHOPIFY_ACCESS_TOKEN)
    return ShopifyStore(client, settings.SHOPIFY_SHOP or settings.shopify_admin_url)


def _seed_demo(db: Database) -> None:
    summary = seed_demo_orders(db)
    if summary is not None:
        log.info("seeded the empty database with demo orders: %s", summary.describe())


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only: enough to act on, no traceback."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def bot_context(settings: Settings, services: Services, worker: WorkerPool) -> BotContext:
    """What the Slack handlers are handed, from the configuration."""
    refunds = RefundSetup(
        approvals_channel=settings.APPROVALS_CHANNEL.strip(),
        approvers=Approvers(settings.APPROVER_USERGROUP.strip(), settings.approver_user_ids),
        policy=RefundPolicy(settings.REFUND_AUTO_APPROVE_LIMIT),
    )
    return BotContext(services, worker, settings.RETURN_REMINDER_DAYS, refunds)
