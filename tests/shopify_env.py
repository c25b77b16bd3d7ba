"""A fake Shopify serving the demo orders, and the bot's Shopify client and store pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from integrations.local_store.demo import demo_orders
from integrations.shopify.client import RetryPolicy, ShopifyClient
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore

TODAY = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(budget_seconds=5.0, base_backoff=0.01, max_backoff=0.05)


@contextmanager
def shopify(**fake_options: object) -> Iterator[tuple[FakeShopify, ShopifyStore]]:
    options = {"now": lambda: TODAY, **fake_options}
    with FakeShopify(demo_orders(), **options) as fake:  # type: ignore[arg-type]
        client = ShopifyClient(fake.admin_url, fake.access_token, policy=FAST)
        try:
            yield fake, ShopifyStore(client, fake.shop_domain)
        finally:
            client.close()
            fake.assert_no_rejections()  # every document the bot sent was valid against the schema
