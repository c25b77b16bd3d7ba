"""Cancelling a Shopify order: orderCancel, its job polled until done, and the order read again.

orderCancel takes no idempotency key and cannot be undone, so it is made safe to repeat by reading first
(docs/reference/shopify-admin-api.md §7): OrderCancelState before sending (an order cancelled already is answered
as done, nothing is sent), and after an attempt whose answer was lost the same read decides whether it is sent
again. The job is polled at JOB_POLL_SECONDS within a budget; a job still running then is handed back with its id
(`done` False), and `cancel_progress` looks at it again later (the scheduler's tick).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.cancellations import CancelPlan, CancelProgress, CancelRefund
from domain.money import Money
from domain.store import CancelRefused
from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document
from integrations.shopify.errors import ShopifyError, ShopifyNotFound

# Shopify's Job carries no hint of when to look again; its own admin polls a cancellation about once a second
JOB_POLL_SECONDS = 1.0
JOB_BUDGET_SECONDS = 10.0  # then the thread says it is still running, and the tick looks again

_CODES = {
    "NO_REFUND_PERMISSION": "the app may not refund orders in this shop (the staff permission to refund is missing)",
    "NO_REFUND_TO_STORE_CREDIT_PERMISSION": "the app may not refund to store credit in this shop",
    "STORE_CREDIT_REFUND_B2B_NOT_SUPPORTED": "a B2B order cannot be refunded as store credit",
    "STORE_CREDIT_REFUND_MISSING_CUSTOMER": "the order has no customer to give store credit to",
    "STORE_CREDIT_REFUND_EXPIRATION_IN_PAST": "the store credit would expire in the past",
}


@dataclass
class JobPolling:
    """How the job is waited for: `sleep` and `clock` are time as the poller sees it (tests pass their own)."""

    interval: float = JOB_POLL_SECONDS
    budget: float = JOB_BUDGET_SECONDS
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)


def cancel_order(client: ShopifyClient, plan: CancelPlan, polling: JobPolling) -> CancelProgress:
    """Send orderCancel once (never to an order cancelled already) and wait for its job within the budget."""
    state = _state(client, plan.order_id)
    if state["cancelledAt"]:
        return _done(state, "")
    before = _refunded(state)
    applied: list[dict[str, Any]] = []

    def not_applied() -> bool:
        again = _state(client, plan.order_id)
        if again["cancelledAt"]:
            applied.append(again)
        return not applied

    try:
        data = client.mutate(document("OrderCancel"), _variables(plan), not_applied=not_applied)
    except ShopifyError:
        if applied:  # the attempt whose answer was lost did cancel it
            return _done(applied[0], "", before)
        raise
    payload = data["orderCancel"] or {}
    errors = payload.get("orderCancelUserErrors") or []
    if errors:
        raise CancelRefused(f"Shopify would not cancel the order: {_words(errors)}")
    job = payload.get("job")
    if not job:
        return _finished(_state(client, plan.order_id), "", before)
    if job["done"]:
        return _finished(_state(client, plan.order_id), str(job["id"]), before)
    return _wait(client, plan.order_id, str(job["id"]), polling, before)


def cancel_progress(client: ShopifyClient, order_id: str, job_id: str) -> CancelProgress:
    """How the job stands now: one look, no waiting."""
    done, state = _look(client, order_id, job_id)
    return _finished(state, job_id) if done else CancelProgress(done=False, job_id=job_id)


def _wait(
    client: ShopifyClient, order_id: str, job_id: str, polling: JobPolling, before: Money
) -> CancelProgress:
    deadline = polling.clock() + polling.budget
    while polling.clock() + polling.interval <= deadline:
        polling.sleep(polling.interval)
        done, state = _look(client, order_id, job_id)
        if done:
            return _finished(state, job_id, before)
    return CancelProgress(done=False, job_id=job_id, refunded_before=before)


def _look(client: ShopifyClient, order_id: str, job_id: str) -> tuple[bool, dict[str, Any]]:
    """One look at the job; once it is done, the order as it left it (read in the same request)."""
    job = client.query(document("JobStatus"), {"id": job_id, "orderId": order_id})["job"]
    if job is None:  # a job Shopify no longer knows finished long ago
        return True, _state(client, order_id)
    if not job["done"]:
        return False, {}
    order = (job.get("query") or {}).get("order")
    return True, dict(order) if order else _state(client, order_id)


def _finished(state: dict[str, Any], job_id: str, before: Money | None = None) -> CancelProgress:
    if not state["cancelledAt"]:
        # the job ran, but the order stands: Shopify refused it on its own (a payment or fulfillment changed)
        raise CancelRefused(
            "Shopify finished the cancellation without cancelling the order: look at the order in the Shopify admin."
        )
    return _done(state, job_id, before)


def _state(client: ShopifyClient, order_id: str) -> dict[str, Any]:
    order = None
    if order_id.startswith("gid://shopify/Order/"):
        order = client.query(document("OrderCancelState"), {"id": order_id})["order"]
    if order is None:
        raise ShopifyNotFound(f"Shopify could not find order {order_id} to cancel: it may have been deleted.")
    return dict(order)


def _done(state: dict[str, Any], job_id: str, before: Money | None = None) -> CancelProgress:
    return CancelProgress(
        done=True, job_id=job_id, cancelled_at=_when(state["cancelledAt"]), refunded=_refunded(state),
        refunded_before=before,
    )  # fmt: skip


def _refunded(state: dict[str, Any]) -> Money:
    money = state["totalRefundedSet"]["shopMoney"]
    return Money(Decimal(str(money["amount"])), money["currencyCode"])


def _variables(plan: CancelPlan) -> dict[str, Any]:
    variables: dict[str, Any] = {
        "orderId": plan.order_id, "reason": plan.reason.value, "restock": plan.restock,
        "notifyCustomer": plan.notify_customer,
    }  # fmt: skip
    if plan.staff_note.strip():
        variables["staffNote"] = plan.staff_note.strip()
    if plan.refund is CancelRefund.ORIGINAL:
        variables["refundMethod"] = {"originalPaymentMethodsRefund": True}
    elif plan.refund is CancelRefund.STORE_CREDIT:
        variables["refundMethod"] = {"storeCreditRefund": {}}
    return variables


def _words(errors: list[dict[str, Any]]) -> str:
    said = [_CODES.get(str(e.get("code") or ""), str(e.get("message") or "").strip()) for e in errors]
    return "; ".join(s for s in said if s) or "no reason given"


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
