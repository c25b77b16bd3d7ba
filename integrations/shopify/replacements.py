"""Replacement orders on Shopify: a draft order at no cost, completed into an order, and the original marked.

    draftOrderCreate -> draftOrderComplete -> tagsAdd (original) -> orderUpdate (original's note, appended)

draftOrderCreate takes no idempotency key, so the draft carries one as a tag (`replacement-key-<key>`) and every
attempt looks for it first (`draftOrders(query: "tag:…")`): a timeout after Shopify created the draft, a retry or
a second instance finds that draft and goes on from where it is — completed already, or completed now. The original
is tagged with tagsAdd (which never removes a tag) and its note is read and written back with our line appended
once (orderUpdate overwrites the note): nothing is lost, nothing written twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.money import Money
from domain.replacements import (
    DISCOUNT_TITLE,
    KEY_PREFIX,
    REPLACED_BY_PREFIX,
    ReplacementOrder,
    ReplacementPlan,
    Variant,
)
from domain.store import ReplacementRefused
from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document
from integrations.shopify.errors import ShopifyNotFound, ShopifyUnavailable, from_user_errors

log = logging.getLogger(__name__)

VARIANTS_MAX = 100  # an external_select shows at most 100 options
COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class _Draft:
    id: str
    status: str
    order: ReplacementOrder | None


@dataclass(frozen=True)
class _Source:
    note: str
    tags: tuple[str, ...]
    customer_id: str | None
    variants: dict[str, str]  # line item GID -> its variant GID (lines whose product is gone have none)


def find_variants(client: ShopifyClient, text: str, limit: int) -> list[Variant]:
    """productVariants(query:): typed text as Shopify's default search, at most `limit` (≤ 100)."""
    query = _search_text(text)
    data = client.query(document("VariantSearch"), {"query": query, "first": max(1, min(limit, VARIANTS_MAX))})
    currency = data["shop"]["currencyCode"]
    return [_variant(node, currency) for node in data["productVariants"]["nodes"]]


def _variant(node: dict[str, Any], currency: str) -> Variant:
    return Variant(
        id=node["id"], title=node.get("displayName") or node.get("title") or "", sku=node.get("sku") or "",
        price=Money(Decimal(str(node.get("price") or "0")), currency), available=node.get("inventoryQuantity"),
    )  # fmt: skip


def get_variant(client: ShopifyClient, variant_id: str) -> Variant | None:
    if not variant_id.startswith("gid://shopify/ProductVariant/"):
        return None
    data = client.query(document("VariantById"), {"id": variant_id})
    node = data.get("productVariant")
    return _variant(node, data["shop"]["currencyCode"]) if node else None


def create_replacement(client: ShopifyClient, plan: ReplacementPlan) -> ReplacementOrder:
    source = _source(client, plan)
    draft = _find_draft(client, plan.key)
    if draft is None:
        draft = _create_draft(client, plan, source)
    else:
        log.info("shopify draft %s already carries replacement key %s: going on with it", draft.id, plan.key)
    order = draft.order if draft.order is not None else _complete(client, draft.id, plan.key)
    _mark_original(client, plan, source, order.name)
    return order


# -- the draft -------------------------------------------------------------------------------------------------------


def _find_draft(client: ShopifyClient, key: str) -> _Draft | None:
    data = client.query(document("ReplacementDrafts"), {"query": f"tag:'{KEY_PREFIX}{key}'"})
    for node in data["draftOrders"]["nodes"]:
        if KEY_PREFIX + key in (node.get("tags") or ()):
            return _draft(node)
    return None


def _create_draft(client: ShopifyClient, plan: ReplacementPlan, source: _Source) -> _Draft:
    variables = {"input": _draft_input(plan, source)}
    try:
        data = client.mutate(
            document("ReplacementDraftCreate"), variables, not_applied=lambda: _find_draft(client, plan.key) is None
        )
    except ShopifyUnavailable:
        # the answer was lost after Shopify made the draft (the client does not send it again then): adopt it
        found = _find_draft(client, plan.key)
        if found is None:
            raise
        return found
    payload = data["draftOrderCreate"]
    errors = payload.get("userErrors") or []
    if errors:
        raise _refused(errors, plan)
    return _draft(payload["draftOrder"])


def _draft_input(plan: ReplacementPlan, source: _Source) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    for line in plan.lines:
        variant = line.variant_id or source.variants.get(line.line_item_id)
        if variant:
            lines.append({"variantId": variant, "quantity": line.quantity})
        else:  # the product is gone from the shop: the same item as a custom line at its list price
            lines.append({
                "title": line.title, "quantity": line.quantity, "requiresShipping": True,
                "originalUnitPriceWithCurrency": {"amount": str(line.unit_price.amount), "currencyCode": plan.currency},
            })  # fmt: skip
    a = plan.address
    first, _, last = a.name.partition(" ")
    address = {
        "firstName": first, "lastName": last, "company": a.company, "address1": a.address1,
        "address2": a.address2, "city": a.city, "zip": a.zip, "countryCode": a.country.upper(), "phone": a.phone,
    }  # fmt: skip
    if a.province:
        address["provinceCode"] = a.province
    draft: dict[str, Any] = {
        "lineItems": lines,
        "appliedDiscount": {
            "valueType": "PERCENTAGE", "value": 100.0, "title": DISCOUNT_TITLE,
            "description": f"Replacement for {plan.original_name} ({plan.reason.label.lower()})",
        },
        "shippingLine": {
            "title": plan.shipping_title or "Replacement shipping",
            "priceWithCurrency": {"amount": "0.00", "currencyCode": plan.currency},
        },
        "tags": list(plan.tags),
        "note": plan.note or f"Replacement for {plan.original_name} ({plan.reason.label.lower()})",
        "shippingAddress": {k: v for k, v in address.items() if v},
    }  # fmt: skip
    if plan.email:
        draft["email"] = plan.email
    if source.customer_id:
        draft["purchasingEntity"] = {"customerId": source.customer_id}
    return draft


def _complete(client: ShopifyClient, draft_id: str, key: str) -> ReplacementOrder:
    def not_completed() -> bool:
        found = _find_draft(client, key)
        return found is None or found.order is None

    data = client.mutate(document("ReplacementDraftComplete"), {"id": draft_id}, not_applied=not_completed)
    payload = data["draftOrderComplete"]
    errors = payload.get("userErrors") or []
    if errors:
        # the draft stays: the next attempt finds it by its key and completes it, never a second draft
        raise from_user_errors(errors, "complete the replacement's draft order")
    order = (payload.get("draftOrder") or {}).get("order")
    if not order:
        raise ShopifyNotFound("Shopify completed the replacement's draft but named no order; Retry looks again.")
    return ReplacementOrder(order["id"], order["name"])


def _draft(node: dict[str, Any]) -> _Draft:
    order = node.get("order")
    made = ReplacementOrder(order["id"], order["name"]) if order else None
    return _Draft(node["id"], node.get("status") or "", made)


def _refused(errors: list[dict[str, Any]], plan: ReplacementPlan) -> ReplacementRefused:
    """userErrors in words, with the line or the address they are about."""
    messages = "; ".join(str(e.get("message", "")).strip() for e in errors if e.get("message")) or "no reason given"
    where = ""
    for e in errors:
        path = [str(p) for p in e.get("field") or ()]
        if "lineItems" in path and path.index("lineItems") + 1 < len(path):
            index = path[path.index("lineItems") + 1]
            if index.isdigit() and int(index) < len(plan.lines):
                where = f"lines.{index}"
                messages = f"{plan.lines[int(index)].title}: {messages}"
        elif "shippingAddress" in path:
            where = "address"
    return ReplacementRefused(f"Shopify would not make the replacement: {messages}", where)


# -- the original ----------------------------------------------------------------------------------------------------


def _source(client: ShopifyClient, plan: ReplacementPlan) -> _Source:
    same = [line.line_item_id for line in plan.lines if not line.variant_id]
    data = client.query(document("ReplacementSource"), {"id": plan.original_id, "lineItemIds": same})
    order = data.get("order")
    if order is None:
        raise ShopifyNotFound(f"Shopify could not find order {plan.original_name}: it may have been deleted.")
    variants = {n["id"]: n["variant"]["id"] for n in data.get("nodes") or () if n and n.get("variant")}
    customer = (order.get("customer") or {}).get("id")
    return _Source(order.get("note") or "", tuple(order.get("tags") or ()), customer, variants)


def _mark_original(client: ShopifyClient, plan: ReplacementPlan, source: _Source, name: str) -> None:
    tag = REPLACED_BY_PREFIX + name.lstrip("#")
    if tag not in source.tags:
        # adding a tag twice leaves one: safe to send again whatever happened to the first attempt
        variables = {"id": plan.original_id, "tags": [tag]}
        data = client.mutate(document("OrderTagsAdd"), variables, not_applied=lambda: True)
        errors = data["tagsAdd"].get("userErrors") or []
        if errors:
            raise from_user_errors(errors, f"tag order {plan.original_name}")
    line = plan.original_note(name)
    note = source.note  # read at the start of this attempt
    if line in note:
        return
    updated = f"{note}\n{line}" if note else line

    def not_noted() -> bool:
        return line not in _source(client, plan).note

    data = client.mutate(
        document("OrderNoteUpdate"), {"input": {"id": plan.original_id, "note": updated}}, not_applied=not_noted
    )
    errors = data["orderUpdate"].get("userErrors") or []
    if errors:
        raise from_user_errors(errors, f"add the replacement to the note of order {plan.original_name}")


def _search_text(text: str) -> str | None:
    words = [w for w in text.replace("'", " ").replace('"', " ").split() if w]
    return " ".join(f"'{w}'" for w in words) or None
