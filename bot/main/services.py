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
    services.carriers = carriers(settings, services)
    services.carrier = services.carriers[settings.CARRIER]
    services.carrier_by_country = settings.carrier_by_country
    services.returns = ReturnSettings(address=_return_address(settings), email=settings.RETURN_ADDRESS_EMAIL,
                                      shop_name=settings.RETURN_ADDRESS_NAME)  # fmt: skip
    services.lifecycle = lifecycle_settings(settings)
    services.shop_country = settings.SHOP_COUNTRY
    return services


def lifecycle_settings(settings: Settings) -> LifecycleSettings:
    """When the scheduler reminds, escalates, expires and sends the digest."""
    return LifecycleSettings(
        reminder_days=settings.RETURN_REMINDER_DAYS, escalation_days=settings.RETURN_ESCALATION_DAYS,
        expiry_days=settings.RETURN_EXPIRY_DAYS, customer_reminder=settings.RETURN_CUSTOMER_REMINDER,
        escalation_channel=settings.escalation_channel, digest_channel=settings.digest_channel,
        digest_time=settings.digest_time, timezone=settings.timezone,
    )  # fmt: skip


def carriers(settings: Settings, services: Services) -> dict[str, Carrier]:
    """Every carrier in use (CARRIER and those CARRIER_BY_COUNTRY names), by name, the default first."""
    if settings.carrier_problem:
        raise StartupError(settings.carrier_problem)
    return {name: carrier(settings, services, name) for name in settings.carriers_in_use}


def carrier(settings: Settings, services: Services | None, name: str) -> Carrier:
    """One carrier, built from its settings (its adapter module loads only when it is used)."""
    if name == "shipit":
        from integrations.carriers.shipit import ShipitCarrier

        return ShipitCarrier(
            api_key=settings.SHIPIT_API_KEY, api_url=settings.SHIPIT_API_URL, service_id=settings.SHIPIT_SERVICE_ID,
            pickup_service_id=settings.SHIPIT_PICKUP_SERVICE_ID, api_secret=settings.SHIPIT_API_SECRET,
            shop_email=settings.RETURN_ADDRESS_EMAIL,
        )  # fmt: skip
    if name == "postnord":
        from integrations.carriers.postnord import PostNordCarrier

        return PostNordCarrier(
            api_key=settings.POSTNORD_API_KEY, api_url=settings.POSTNORD_API_URL,
            customer_number=settings.POSTNORD_CUSTOMER_NUMBER, issuer_code=settings.POSTNORD_ISSUER_CODE,
            pickup_min_grams=int(settings.POSTNORD_PICKUP_MIN_KG * 1000), return_address=_return_address(settings),
        )  # fmt: skip
    if services is None:  # `doctor`: the local carrier has nothing outside the bot to check
        return LocalCarrier(lambda: 1, settings.RETURN_ADDRESS_COUNTRY)
    db = services.db
    # tracking serials come from the database, so that no two instances print the same number
    # its tracking answers from the warehouse's scans (`returnbot carrier-scan`), kept in the database
    return LocalCarrier(
        lambda: next_serial(db, "tracking", services.clock()), settings.RETURN_ADDRESS_COUNTRY,
        scans=lambda number: carrier_scans.latest(db, number),
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
        replacement_limit=settings.REPLACEMENT_AUTO_APPROVE_LIMIT,
    )
    return BotContext(services, worker, settings.RETURN_REMINDER_DAYS, refunds)
