"""Replacements: items sent again at no cost (broken, lost, wrong), as a request through the refund approvals.

1. `options_for` refuses orders that cannot have a replacement (cancelled, not paid) in words, and gives what the
   form starts with: the order's lines and its shipping address.
2. The form is checked without I/O as it is submitted (commands.replacement_form).
3. `request_replacement` checks it again against the order, reads every chosen variant from the store (price and
   stock: nothing decisive comes from the form's client), freezes the plan and records a request of kind
   "replacement" (storage.refunds): approved at once while its list value, with what was auto-approved in
   replacements of the order before, stays within REPLACEMENT_AUTO_APPROVE_LIMIT; else before the team leads, with
   the refunds' rules (leads only, never the requester, one decision wins).
4. Carrying it out: commands.replacement_work, through commands.refund_decisions.execute.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from commands.errors import UserError
from commands.lookup import store_errors_as_user_errors
from commands.refunds import Requested
from commands.replacement_form import DEFAULT_SHIPPING_TITLE, ReplacementForm, check_form
from commands.replacement_work import details_of
from commands.services import Services
from domain.orders import Address, LineItem, Order
from domain.refunds import RefundStatus, RequestKind, RestockType
from domain.replacements import ReplacementLine, ReplacementPlan, ReplacementReason, Variant, replacement_of
from storage import refunds
from storage.refunds import RefundDraft, RefundLine, RefundRequestView

MAX_LINES = 20  # a quantity and a variant field each, within a modal's 100 blocks
MAX_VARIANT_OPTIONS = 100  # an external_select shows at most 100


@dataclass(frozen=True)
class ReplacementPolicy:
    auto_approve_limit: Decimal = Decimal(0)  # replacements worth up to this at list price need no team lead

    @property
    def auto_approves(self) -> bool:
        return self.auto_approve_limit > 0


@dataclass(frozen=True)
class ReplacementOptions:
    """What the replacement form shows."""

    order: Order
    lines: tuple[LineItem, ...]  # the lines that can be sent again
    form: ReplacementForm  # as it opens: nothing chosen, the order's shipping address
    open_request: RefundRequestView | None  # a replacement of the order on its way already
    can_notify: bool = False  # the store e-mails the customer of the new order (Shopify); the local store cannot


def options_for(services: Services, order: Order) -> ReplacementOptions:
    """The form as it opens; a UserError says why this order cannot have a replacement."""
    check_order(order)
    lines = tuple(li for li in order.line_items if li.quantity > 0)[:MAX_LINES]
    address = order.shipping_address if not order.shipping_address.is_empty() else order.billing_address
    form = ReplacementForm(
        quantities={li.id: 0 for li in lines}, reason="", address=address, shipping_title=DEFAULT_SHIPPING_TITLE,
        notify_customer=services.store.notifies_customers and bool(order.email),
    )  # fmt: skip
    open_ = refunds.open_for_order(services.db, services.store.kind, order.ref.id, RequestKind.REPLACEMENT)
    notifies = services.store.notifies_customers and bool(order.email)
    return ReplacementOptions(order, lines, form, open_[0] if open_ else None, can_notify=notifies)


def can_replace(order: Order) -> bool:
    """Worth offering a Replace button (the form checks the rest)."""
    try:
        check_order(order)
    except UserError:
        return False
    return True


def check_order(order: Order) -> None:
    if order.cancelled:
        raise UserError(f"Order {order.name} was cancelled: there is nothing to send again.")
    if not order.financial_status.captured:
        raise UserError(f"Order {order.name} is not paid yet: a free replacement waits until it is.")
    if replacement_of(order.tags):
        raise UserError(
            f"Order {order.name} is itself a replacement: send a replacement of the original order instead."
        )
    if not any(li.quantity > 0 for li in order.line_items):
        raise UserError(f"Order {order.name} has no items to send again.")


def variant_options(services: Services, text: str) -> list[Variant]:
    """What the variant picker offers for the text typed (at most 100)."""
    with store_errors_as_user_errors():
        return services.store.find_variants(text.strip(), MAX_VARIANT_OPTIONS)


def request_replacement(
    services: Services,
    policy: ReplacementPolicy,
    order: Order,
    form: ReplacementForm,
    *,
    requester: str,
    submission_key: str,
    channel: str = "",
    thread_ts: str = "",
) -> Requested:
    """Check the form against the order and the store, freeze the plan and record the request (once per submission;
    one open replacement request per order). `order` is read from the store by the caller."""
    check_order(order)
    items = {li.id: li for li in order.line_items}
    errors = check_form(form, {li.id: (li.quantity, li.name) for li in order.line_items})
    if errors:
        raise UserError(" ".join(dict.fromkeys(errors.values())))
    lines = tuple(_line(services, order, items[line_id], quantity, form.variants.get(line_id, ""))
                  for line_id, quantity in form.chosen.items())  # fmt: skip
    plan = ReplacementPlan(
        original_id=order.ref.id, original_name=order.name, key="", lines=lines,
        reason=ReplacementReason(form.reason), address=_clean(form.address), currency=order.currency,
        shipping_title=form.shipping_title.strip(), note=form.note.strip(), email=order.email,
        notify_customer=form.notify_customer, created_on=services.clock().date().isoformat(),
    )  # fmt: skip
    draft = RefundDraft(
        store=services.store.kind, order_id=order.ref.id, order_name=order.name,
        lines=tuple(RefundLine(li.line_item_id, li.title, li.quantity) for li in lines), shipping=Decimal(0),
        restock=RestockType.NO_RESTOCK, amount=plan.list_value.amount, currency=order.currency, reason=form.reason,
        note=plan.note, notify_customer=plan.notify_customer, kind=RequestKind.REPLACEMENT, details=details_of(plan),
    )  # fmt: skip
    created = refunds.create_once(
        services.db, draft, requested_by=requester, at=services.clock(),
        auto_approve_up_to=policy.auto_approve_limit if policy.auto_approves else None,
        slack_channel=channel, slack_thread_ts=thread_ts, submission_key=submission_key,
    )  # fmt: skip
    return Requested(created.request, created.outcome, order.customer_name or order.email)


def replacements_of(services: Services, order: Order) -> list[RefundRequestView]:
    """The order's replacement requests, oldest first (its card lists them)."""
    return refunds.of_kind_for_order(services.db, services.store.kind, order.ref.id, RequestKind.REPLACEMENT)


def made(request: RefundRequestView) -> bool:
    return request.kind is RequestKind.REPLACEMENT and request.status is RefundStatus.SUCCEEDED


def _line(services: Services, order: Order, item: LineItem, quantity: int, variant_id: str) -> ReplacementLine:
    if not variant_id:
        return ReplacementLine(item.id, item.name, quantity, item.unit_price, "", item.sku)
    with store_errors_as_user_errors():
        variant = services.store.get_variant(variant_id)
    if variant is None:
        raise UserError(f"The item chosen instead of {item.name} is not sold any more: choose another.")
    if variant.available is not None and variant.available < quantity:
        left = max(variant.available, 0)
        raise UserError(f"{variant.title} is out of stock ({left} left): choose another or fewer.")
    # the shop's list price; an item last seen in another currency (the local store's imports mix them) is worth
    # what the line it replaces cost, which is what the team leads compare against
    price = variant.price if variant.price.currency == order.currency else item.unit_price
    return ReplacementLine(item.id, variant.title, quantity, price, variant.id, variant.sku)


def _clean(address: Address) -> Address:
    return Address(
        name=address.name.strip(), company=address.company.strip(), address1=address.address1.strip(),
        address2=address.address2.strip(), city=address.city.strip(), zip=address.zip.strip(),
        province=address.province.strip(), country=address.country.strip().upper(), phone=address.phone.strip(),
    )  # fmt: skip
