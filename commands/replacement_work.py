"""A replacement carried out: the approved request's frozen plan sent to the store, once.

The request (storage.refunds, kind "replacement") keeps the plan as JSON in its `details`; `details_of` writes it
when the request is made and `plan_of` reads it back on every attempt, so each attempt sends the same plan under the
request's one key. The key guards twice: `run_once` here (one attempt at a time, a finished one never repeated),
and in the store, which finds an order made under the key before making one (a timeout after the store made it).
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from commands.replacement_tracking import watch
from commands.services import Services
from commands.work_done import WorkDone
from domain.money import Money
from domain.orders import Address
from domain.replacements import ReplacementLine, ReplacementPlan, ReplacementReason
from storage.operations import run_once
from storage.refund_records import RefundRequestView

OPERATION = "replacement"


def carry_out_replacement(services: Services, request: RefundRequestView, key: str) -> WorkDone:
    """The executor of approved replacements (commands.approved_work). Raises ReplacementRefused (a StoreError)
    when the store declines; nothing was made then."""
    plan = plan_of(request, key)

    def make() -> dict[str, Any]:
        made = services.store.create_replacement(plan)
        return {"id": made.id, "name": made.name}

    outcome = run_once(
        services.db, f"{OPERATION}:{key}", OPERATION, make, now=services.clock, request={"key": key},
    )  # fmt: skip
    made = outcome.result
    watch(services, request)  # its tracking, once the shop ships it (commands.replacement_tracking)
    return WorkDone(str(made["id"]), {"name": str(made["name"]), "original": request.order_name})


def details_of(plan: ReplacementPlan) -> dict[str, Any]:
    """The plan as a request keeps it (JSON); the key is the request's own and the note and notify flag its
    columns, so they are not repeated here."""
    exchange = {"exchange_for": plan.exchange_for} if plan.exchange_for else {}
    return exchange | {
        "lines": [
            {
                "line_item_id": line.line_item_id, "title": line.title, "quantity": line.quantity,
                "unit_price": str(line.unit_price.amount), "variant_id": line.variant_id, "sku": line.sku,
            }
            for line in plan.lines
        ],
        "reason": plan.reason.value,
        "address": asdict(plan.address),
        "shipping_title": plan.shipping_title,
        "email": plan.email,
        "created_on": plan.created_on,
    }  # fmt: skip


def plan_of(request: RefundRequestView, key: str) -> ReplacementPlan:
    details = request.details
    currency = request.currency
    return ReplacementPlan(
        original_id=request.order_id,
        original_name=request.order_name,
        key=key,
        lines=tuple(
            ReplacementLine(
                line_item_id=str(li["line_item_id"]), title=str(li["title"]), quantity=int(li["quantity"]),
                unit_price=Money(Decimal(str(li["unit_price"])), currency), variant_id=str(li.get("variant_id", "")),
                sku=str(li.get("sku", "")),
            )
            for li in details.get("lines", ())
        ),
        reason=ReplacementReason(details.get("reason", ReplacementReason.OTHER)),
        address=Address(**{k: str(v) for k, v in dict(details.get("address") or {}).items()}),
        currency=currency,
        shipping_title=str(details.get("shipping_title", "")),
        note=request.note,
        email=str(details.get("email", "")),
        notify_customer=request.notify_customer,
        created_on=str(details.get("created_on", "")),
        exchange_for=str(details.get("exchange_for", "")),
    )
