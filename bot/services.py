"""Wiring: one `Services` built from configuration, and the start-up every command shares."""

from __future__ import annotations

import logging

from bot.config import Settings
from commands.services import Services
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.shopify.client import ShopifyClient
from integrations.shopify.store import ShopifyStore
from storage.db import Database, make_engine
from storage.migrate import upgrade

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
        return Services(db=db, store=shopify_store(settings))
    if db.dialect == "sqlite":
        _seed_demo(db)
    return Services(db=db, store=LocalStore(db))


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
