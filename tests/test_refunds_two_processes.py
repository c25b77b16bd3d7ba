"""Two processes on one PostgreSQL approve the same refund request at the same moment: one decision wins and
exactly one refundCreate reaches the (fake) Shopify, which both processes talk to over loopback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from commands import lookup, refunds
from commands.refund_form import RefundForm
from commands.services import Services
from domain.refunds import RefundStatus
from integrations.shopify.standin.refunds import refunds_applied
from storage import refunds as states
from storage.db import Database, make_engine
from storage.migrate import upgrade
from tests.shopify_env import shopify

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent(
    """
    import sys
    from commands import refund_decisions
    from commands.services import Services
    from integrations.shopify.client import RetryPolicy, ShopifyClient
    from integrations.shopify.store import ShopifyStore
    from storage.db import Database, make_engine

    url, admin_url, token, shop, request_id, lead = sys.argv[1:7]
    db = Database(make_engine(url))
    client = ShopifyClient(admin_url, token, policy=RetryPolicy(budget_seconds=10, base_backoff=0.01))
    services = Services(db=db, store=ShopifyStore(client, shop))
    print("ready", flush=True)
    sys.stdin.readline()  # "go": both are past their imports and connected; off at the same moment
    decided = refund_decisions.approve(services, int(request_id), user=lead, is_lead=lambda: True)
    if decided.won:
        executed = refund_decisions.execute(services, int(request_id), actor=lead)
        print("approved", executed.request.status)
    else:
        print("lost", decided.request.decided_by)
    """
)


@pytest.mark.postgres
def test_two_leads_in_two_processes_make_one_shopify_refund(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade(engine)
    db = Database(engine)
    with shopify() as (fake, store):
        services = Services(db=db, store=store)
        order = lookup.single_order(services, "#1009")
        form = RefundForm(
            quantities={order.line_items[0].id: 1}, shipping=Decimal(0), restock=True, amount=None, reason="damaged"
        )
        request = refunds.request_refund(
            services,
            refunds.RefundPolicy(),
            order,
            form,
            requester="U0AGENT",
            submission_key="two-processes",
        ).request
        assert request.status is RefundStatus.PENDING_APPROVAL

        args = [pg_url, fake.admin_url, fake.access_token, fake.shop_domain, str(request.id)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, *args, lead],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for lead in ("U0LEAD1", "U0LEAD2")
        ]
        # synchronised on what the workers say, not on the clock: each says "ready" once it can act
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.communicate(timeout=60)
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        said = sorted(out.split()[0] for out, _err in outputs)
        assert said == ["approved", "lost"], outputs

        done = states.get(db, request.id)
        assert done.status is RefundStatus.SUCCEEDED and done.attempts == 1
        assert len(fake.calls_named("RefundCreate")) == 1
        assert refunds_applied(fake, order.ref.id) == 1
    db.dispose()
