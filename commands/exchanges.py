"""Exchanges: an item of a return sent again as another variant (or the same one), at no cost.

The agent chooses the new variant per item in the return form; the case keeps the lines (storage.returns). The new
item goes out as a replacement (commands.replacement_work: a request of kind "replacement", the store's replacement
order, run once under the request's key), tagged and noted with the return's RMA:
- when the return is received (commands.return_lifecycle.follow_up, whoever received it: Slack, the carrier's
  tracking, the shop's admin), for the units that came back (not those counted missing);
- or before, when a team lead presses Ship now (an advance exchange), for every unit of the exchange.
Both make the request under one submission key, `exchange:<rma>`: whichever comes second finds the first's request
and never makes a second order. The request is approved at once (the exchange was agreed with the return, and a
lead presses Ship now); its list value counts against no limit (amount 0). A refusal of the store (a variant not
sold any more, out of stock) leaves the request failed with the store's words, and Retry in the thread, as any
replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from commands import refund_decisions
from commands.errors import UserError
from commands.lookup import get_order, store_errors_as_user_errors
from commands.replacement_work import details_of
from commands.replacements import check_order
from commands.return_cases import Case, get_case
from commands.services import Services
from domain.money import Money
from domain.orders import Order
from domain.refunds import RefundStatus, RequestKind, RestockType
from domain.replacements import ReplacementLine, ReplacementPlan, ReplacementReason
from domain.store import StoreError
from domain.vocabulary import ReturnStatus
from storage import exchanges as stored
from storage import refunds
from storage import return_lifecycle as lifecycle
from storage.refunds import MAX_AMOUNT, RefundDraft, RefundLine, RefundRequestView

EXCHANGE = "exchange"  # a return's resolution once its exchange is shipped and nothing is left to refund
ON_RECEIPT, SHIP_NOW = "receipt", "ship_now"  # when the exchange was shipped (the request's details say it)
_WAITING = (ReturnStatus.REQUESTED, ReturnStatus.LABEL_CREATED, ReturnStatus.IN_TRANSIT)


@dataclass(frozen=True)
class Shipped:
    request: RefundRequestView  # the exchange's replacement request, as it is now
    ran: bool  # this call carried it out (the request shows how it went); False: it was done or is being done


class ExchangeRefused(UserError):
    """The order can no longer have its exchange sent (cancelled, say): said in the return's thread, not retried."""


def submission_key(rma: str) -> str:
    return f"exchange:{rma}"


def can_ship_now(case: Case) -> bool:
    """Worth a Ship now button: an exchange not shipped yet, the return still on its way back."""
    return bool(case.exchange) and case.exchange_request_id is None and case.status in _WAITING


def ship_now(services: Services, rma: str, actor: str, *, is_lead: bool) -> Shipped:
    """An advance exchange: the new items sent before the return arrives, by a team lead only."""
    if not is_lead:
        raise UserError("Only a team lead can ship an exchange before its return arrives.")
    case = get_case(services.db, rma)
    if not case.exchange:
        raise UserError(f"Return {rma} has no exchange: nothing is to be sent for it.")
    if case.exchange_request_id is None and case.status not in _WAITING:
        raise UserError(f"Return {rma} is {case.status.value.replace('_', ' ')}: its exchange is not shipped early.")
    units = {str(line["line_item_id"]): int(line["quantity"]) for line in case.exchange}
    return _ship(services, case, units, actor, SHIP_NOW)


def ship_on_receipt(services: Services, rma: str) -> Shipped | None:
    """The exchange of a received return, for the units that came back; None when it has none (or none came
    back). Run by every receipt's follow-up: the second time it finds the request of the first (or of Ship now)."""
    case = get_case(services.db, rma)
    if not case.exchange or case.received_at is None:
        return None
    back: dict[str, int] = {}
    for item in case.receipt:
        if item.get("condition") != "missing":
            line_id = str(item["line_item_id"])
            back[line_id] = back.get(line_id, 0) + int(item.get("quantity", 0))
    units = {
        str(line["line_item_id"]): min(int(line["quantity"]), back.get(str(line["line_item_id"]), 0))
        for line in case.exchange
    }
    if not any(units.values()) and case.exchange_request_id is None:
        return None
    shipped = _ship(services, case, units, case.requested_by, ON_RECEIPT)
    exchanged = {str(line["line_item_id"]) for line in case.exchange}
    if shipped.request.status is RefundStatus.SUCCEEDED and exchanged >= {str(i["line_item_id"]) for i in case.items}:
        # every item of the return was exchanged: nothing is left to refund, the return is settled
        lifecycle.resolve(services.db, rma, resolution=EXCHANGE, actor=lifecycle.SYSTEM, at=services.clock())
    return shipped


def made_on_receipt(services: Services, case: Case) -> RefundRequestView | None:
    """The exchange request a receipt carried out (succeeded or failed), to say in the return's thread."""
    if case.exchange_request_id is None:
        return None
    request = refunds.get(services.db, case.exchange_request_id)
    if request.details.get("shipped") != ON_RECEIPT or request.status not in (RefundStatus.SUCCEEDED,
                                                                               RefundStatus.FAILED):  # fmt: skip
        return None
    return request


def _ship(services: Services, case: Case, units: dict[str, int], actor: str, when: str) -> Shipped:
    requester = actor or case.requested_by
    if case.exchange_request_id is not None:  # made before (Ship now, or an earlier run of the follow-up)
        request = refunds.get(services.db, case.exchange_request_id)
    else:
        order = get_order(services, case.order_id)
        try:
            check_order(order)
        except UserError as exc:
            raise ExchangeRefused(exc.message) from exc
        plan = _plan(services, case, order, units)
        draft = RefundDraft(
            store=services.store.kind, order_id=order.ref.id, order_name=order.name,
            lines=tuple(RefundLine(li.line_item_id, li.title, li.quantity) for li in plan.lines), shipping=Decimal(0),
            restock=RestockType.NO_RESTOCK, amount=Decimal(0), currency=order.currency,
            reason=ReplacementReason.OTHER.value, note=plan.note, notify_customer=False, kind=RequestKind.REPLACEMENT,
            details=details_of(plan) | {"shipped": when},
        )  # fmt: skip
        created = refunds.create_once(
            services.db, draft, requested_by=requester, at=services.clock(), auto_approve_up_to=MAX_AMOUNT,
            alone=False, slack_channel=case.slack_channel, slack_thread_ts=case.slack_thread_ts,
            submission_key=submission_key(case.rma),
        )  # fmt: skip
        request = created.request
        stored.set_exchange_request(services.db, case.rma, request.id)
    if request.status is not RefundStatus.APPROVED:
        return Shipped(request, ran=False)
    executed = refund_decisions.execute(services, request.id, actor=requester)
    return Shipped(executed.request, ran=executed.ran)


def _plan(services: Services, case: Case, order: Order, units: dict[str, int]) -> ReplacementPlan:
    items = {li.id: li for li in order.line_items}
    lines = []
    for line in case.exchange:
        line_id, quantity = str(line["line_item_id"]), units.get(str(line["line_item_id"]), 0)
        item = items.get(line_id)
        if quantity <= 0 or item is None:
            continue
        lines.append(_line(services, line, item.name, quantity, item.unit_price.amount, order.currency))
    if not lines:
        raise UserError(f"None of the exchanged items of return {case.rma} are in order {order.name} any more.")
    address = order.shipping_address if not order.shipping_address.is_empty() else case.sender
    return ReplacementPlan(
        original_id=order.ref.id, original_name=order.name, key="", lines=tuple(lines),
        reason=ReplacementReason.OTHER, address=address, currency=order.currency,
        shipping_title="Exchange shipping", note=f"Exchange for return {case.rma}", email=order.email,
        created_on=services.clock().date().isoformat(), exchange_for=case.rma,
    )  # fmt: skip


def _line(
    services: Services, line: dict[str, Any], name: str, quantity: int, price: Decimal, currency: str
) -> ReplacementLine:
    """The new variant as the store knows it; one it does not know (any more) is still sent, so that the store's
    refusal reaches the thread with Retry, as for any replacement."""
    variant_id = str(line["variant_id"])
    try:
        with store_errors_as_user_errors():
            variant = services.store.get_variant(variant_id)
    except (UserError, StoreError):
        variant = None
    title = variant.title if variant is not None else str(line.get("title") or name)
    sku = variant.sku if variant is not None else ""
    return ReplacementLine(str(line["line_item_id"]), title, quantity, Money(price, currency), variant_id, sku)
