"""How replacement requests read in the approvals channel and the order's thread (bot.refunds.kinds): the refund
machinery's messages ask these for what is particular to a replacement."""

from __future__ import annotations

from bot.common.blocks import clip, escape, link
from bot.refunds.kinds import Describer
from commands.refunds import RefundRequestView
from commands.replacement_form import REASONS
from commands.replacement_tracking import ReplacementShipped
from domain.money import Money
from domain.orders import Fulfillment


def items_text(request: RefundRequestView) -> str:
    lines = request.details.get("lines") or []
    text = ", ".join(f"{int(li['quantity'])} × {escape(str(li['title']))}" for li in lines) or "none"
    return clip(text, 1500)


def facts(request: RefundRequestView) -> list[str]:
    details = request.details
    address = details.get("address") or {}
    where = ", ".join(
        str(address.get(part) or "") for part in ("name", "address1", "address2", "zip", "city", "country")
        if address.get(part)
    )  # fmt: skip
    reason = str(details.get("reason", ""))
    return [
        f"*Items sent again at no cost:* {items_text(request)}",
        f"*Worth at list price:* {escape(str(Money(request.amount, request.currency)))}",
        f"*Reason:* {escape(REASONS.get(reason, reason))}",
        f"*Ship to:* {escape(where) or '_no address_'} · *Shipping:* {escape(str(details.get('shipping_title', '')))}",
        f"*Notify customer:* {'yes' if request.notify_customer else 'no'}",
    ]


def done(request: RefundRequestView) -> str:
    name = escape(str(request.result.get("name") or request.store_refund_id))
    rma = str(request.details.get("exchange_for") or "")
    exchange = f" (exchange for {escape(rma)})" if rma else ""
    return (
        f"Replacement {name} created for {escape(request.order_name)}{exchange}: {items_text(request)} — total 0.00, "
        f"tagged `replacement`; {escape(request.order_name)} carries a note of it."
    )


def shipped_text(shipped: ReplacementShipped) -> str:
    """In the original order's thread, once the warehouse has shipped the replacement."""
    parcels = ", ".join(_parcel(p) for p in shipped.parcels[:5])
    return f"📦 Replacement {escape(shipped.name)} for {escape(shipped.request.order_name)} has shipped: {parcels}"


def _parcel(parcel: Fulfillment) -> str:
    if parcel.tracking_url:
        number = link(parcel.tracking_url, parcel.tracking_number)
    else:
        number = f"`{escape(parcel.tracking_number)}`"
    return f"{escape(parcel.tracking_company)} {number}".strip()


REPLACEMENT = Describer(noun="Replacement", facts=facts, done=done, working="creating the replacement order…")
