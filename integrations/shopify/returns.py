"""Creating a Shopify return with the bot's return label: returnCreate, then a reverse delivery with the tracking.

Neither mutation takes an idempotency key, so each is made safe to repeat by reading first (docs/reference/
shopify-admin-api.md §4, "Dedupe plan"):
- before returnCreate, an OPEN return holding exactly these line items and quantities is reused: a workflow retried
  after a crash must not leave the customer with two returns;
- after an attempt whose answer was lost, `order.returns` tells whether it happened: sent again only when it did
  not, and adopted when it did;
- a reverse fulfillment order that already carries this tracking number gets no second reverse delivery.
Shopify itself refuses to return more than was fulfilled and not yet returned, which backs the reads up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document
from integrations.shopify.errors import ShopifyError, ShopifyInvalidState, ShopifyNotFound, from_user_errors

log = logging.getLogger(__name__)

REASON_NOTE_MAX = 255  # ReturnLineItemInput.returnReasonNote
ReturnItems = Sequence[tuple[str, int, str]]  # (line item GID, quantity, reason note)


@dataclass(frozen=True)
class ShopifyReturn:
    """A return as OrderReturns / ReturnCreate show it."""

    id: str
    status: str
    quantities: Mapping[str, int]  # line item GID -> quantity in this return
    # reverse fulfillment order id -> tracking numbers of its reverse deliveries
    deliveries: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Returnable:
    """Part of a fulfilled line item that can still be returned."""

    fulfillment_line_item_id: str
    line_item_id: str
    name: str
    quantity: int


def create_return(
    client: ShopifyClient,
    order_id: str,
    items: ReturnItems,
    *,
    tracking_number: str,
    tracking_url: str,
    label_url: str | None,
    notify_customer: bool,
) -> str:
    """Create (or find, on a retry) the OPEN return of these items, with a reverse delivery carrying our tracking.
    Returns the Shopify return's GID. A reused return that has a delivery with another tracking number (a label
    made again) gets one more delivery with this number."""
    wanted = _wanted(items)
    returns, returnable_page = _return_state(client, order_id)  # one read before the first mutation
    ret = _matching_open_return(returns, wanted)
    if ret is None:
        lines = allocate(wanted, items, returnable_items(client, order_id, returnable_page))
        ret = _return_create(client, order_id, wanted, lines)
    else:
        log.info("shopify return %s already holds these items: reusing it", ret.id)
    if not ret.deliveries:
        raise ShopifyInvalidState(
            f"Shopify has return {ret.id} for these items but no reverse fulfillment order on it, "
            "so the return's tracking could not be added."
        )
    for rfo_id, numbers in ret.deliveries.items():
        if tracking_number not in numbers:
            _reverse_delivery_create(
                client, order_id, ret.id, rfo_id,
                tracking_number=tracking_number, tracking_url=tracking_url, label_url=label_url,
                notify_customer=notify_customer,
            )  # fmt: skip
    return ret.id


# --- what is asked, and what Shopify can take back --------------------------------------------------------------


def _wanted(items: ReturnItems) -> dict[str, int]:
    """Quantities per line item; a return is "the same" when these match."""
    if not items:
        raise ValueError("a return needs at least one line item")
    wanted: dict[str, int] = {}
    for line_item_id, quantity, _note in items:
        if quantity < 1:
            raise ValueError(f"quantity {quantity} of {line_item_id} is not positive")
        wanted[line_item_id] = wanted.get(line_item_id, 0) + quantity
    return wanted


def _notes(items: ReturnItems) -> dict[str, str]:
    """One reason note per line item (a line item asked twice gets both notes)."""
    notes: dict[str, list[str]] = {}
    for line_item_id, _quantity, note in items:
        if note.strip() and note.strip() not in notes.setdefault(line_item_id, []):
            notes[line_item_id].append(note.strip())
    return {key: "; ".join(parts)[:REASON_NOTE_MAX] for key, parts in notes.items()}


def returnable_items(
    client: ShopifyClient, order_id: str, first_page: Mapping[str, Any] | None = None
) -> list[Returnable]:
    """Every fulfillment line item with a returnable quantity left, across all pages of fulfillments; `first_page`:
    the first one, already read (ReturnState)."""
    result: list[Returnable] = []
    after: str | None = None
    while True:
        if first_page is not None:
            page, first_page = first_page, None
        else:
            data = client.query(document("ReturnableFulfillments"), {"orderId": order_id, "after": after})
            page = data["returnableFulfillments"]
        for fulfillment in page["nodes"]:
            for node in fulfillment["returnableFulfillmentLineItems"]["nodes"]:
                item = node["fulfillmentLineItem"]
                line_item = item["lineItem"]
                result.append(Returnable(item["id"], line_item["id"], line_item["name"], int(node["quantity"])))
        if not page["pageInfo"]["hasNextPage"]:
            return result
        after = page["pageInfo"]["endCursor"]


def allocate(wanted: Mapping[str, int], items: ReturnItems, returnable: Sequence[Returnable]) -> list[dict[str, Any]]:
    """`returnLineItems` for returnCreate: each line item's quantity taken from its fulfillments in turn (an item
    shipped in two parcels is returned from both). Raises ShopifyInvalidState when Shopify has not enough left."""
    notes = _notes(items)
    lines: list[dict[str, Any]] = []
    for line_item_id, quantity in wanted.items():
        sources = [r for r in returnable if r.line_item_id == line_item_id]
        left = quantity
        for source in sources:
            take = min(left, source.quantity)
            if take > 0:
                lines.append(_return_line(source.fulfillment_line_item_id, take, notes.get(line_item_id, "")))
                left -= take
        if left > 0:
            raise ShopifyInvalidState(_shortage(quantity, sources))
    return lines


def _return_line(fulfillment_line_item_id: str, quantity: int, note: str) -> dict[str, Any]:
    line: dict[str, Any] = {"fulfillmentLineItemId": fulfillment_line_item_id, "quantity": quantity}
    if note:
        line["returnReasonNote"] = note
    return line


def _shortage(quantity: int, sources: Sequence[Returnable]) -> str:
    why = "has not shipped, is refunded, or is in another return already"
    if not sources:  # Shopify lists only what is returnable, so there is no name to give
        return f"Shopify has nothing left to take back of one of these items ({quantity} asked): it {why}."
    available = sum(s.quantity for s in sources)
    return f"Shopify can take back only {available} of {sources[0].name} ({quantity} asked): the rest {why}."


# --- the order's returns ----------------------------------------------------------------------------------------


def _return_state(client: ShopifyClient, order_id: str) -> tuple[list[ShopifyReturn], Mapping[str, Any]]:
    """The order's newest returns and the first page of what can still be returned, in one read."""
    data = client.query(document("ReturnState"), {"id": order_id})
    if data["order"] is None:
        raise ShopifyNotFound("Shopify could not find that order: it may have been deleted.")
    return [_return(node) for node in data["order"]["returns"]["nodes"]], data["returnableFulfillments"]


def order_returns(client: ShopifyClient, order_id: str) -> list[ShopifyReturn]:
    """The order's newest returns (at most 5: a retry concerns the latest ones)."""
    order = client.query(document("OrderReturns"), {"id": order_id})["order"]
    if order is None:
        raise ShopifyNotFound("Shopify could not find that order: it may have been deleted.")
    return [_return(node) for node in order["returns"]["nodes"]]


def _return(node: Mapping[str, Any]) -> ShopifyReturn:
    quantities: dict[str, int] = {}
    for line in node["returnLineItems"]["nodes"]:
        line_item_id = ((line.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
        if line_item_id:
            quantities[line_item_id] = quantities.get(line_item_id, 0) + int(line["quantity"])
    deliveries = {
        rfo["id"]: frozenset(_tracking_numbers(rfo.get("reverseDeliveries")))
        for rfo in node["reverseFulfillmentOrders"]["nodes"]
    }
    return ShopifyReturn(node["id"], node["status"], quantities, deliveries)


def _tracking_numbers(deliveries: Mapping[str, Any] | None) -> Iterator[str]:
    for delivery in (deliveries or {}).get("nodes", []):
        number = (((delivery.get("deliverable") or {}).get("tracking")) or {}).get("number")
        if number:
            yield number


def _matching_open_return(returns: Sequence[ShopifyReturn], wanted: Mapping[str, int]) -> ShopifyReturn | None:
    return next((r for r in returns if r.status == "OPEN" and dict(r.quantities) == dict(wanted)), None)


# --- the two mutations ------------------------------------------------------------------------------------------


def _return_create(
    client: ShopifyClient, order_id: str, wanted: Mapping[str, int], lines: list[dict[str, Any]]
) -> ShopifyReturn:
    created: list[ShopifyReturn] = []  # what a read after a lost answer found

    def not_applied() -> bool:
        found = _matching_open_return(order_returns(client, order_id), wanted)
        if found is not None:
            created.append(found)
        return found is None

    variables = {"returnInput": {"orderId": order_id, "returnLineItems": lines}}
    try:
        data = client.mutate(document("ReturnCreate"), variables, not_applied=not_applied)
    except ShopifyError:
        if created:  # the attempt whose answer was lost did create it: carry on with that return
            return created[-1]
        raise
    payload = data["returnCreate"] or {}
    if payload.get("userErrors") or not payload.get("return"):
        raise from_user_errors(payload.get("userErrors") or [], "create the return")
    node = payload["return"]
    rfo_ids = [rfo["id"] for rfo in node["reverseFulfillmentOrders"]["nodes"]]
    return ShopifyReturn(node["id"], node["status"], dict(wanted), {rfo_id: frozenset() for rfo_id in rfo_ids})


def _reverse_delivery_create(
    client: ShopifyClient,
    order_id: str,
    return_id: str,
    rfo_id: str,
    *,
    tracking_number: str,
    tracking_url: str,
    label_url: str | None,
    notify_customer: bool,
) -> None:
    tracking = {"number": tracking_number, **({"url": tracking_url} if tracking_url else {})}
    variables: dict[str, Any] = {"rfoId": rfo_id, "tracking": tracking, "notify": notify_customer}
    if label_url:  # the local carrier's PDF has no public URL: then Shopify gets the tracking alone
        variables["label"] = {"fileUrl": label_url}
    delivered: list[bool] = []  # what a read after a lost answer found

    def not_applied() -> bool:
        if any(_carries(r, return_id, rfo_id, tracking_number) for r in order_returns(client, order_id)):
            delivered.append(True)
        return not delivered

    try:
        data = client.mutate(document("ReverseDeliveryCreate"), variables, not_applied=not_applied)
    except ShopifyError:
        if delivered:  # the attempt whose answer was lost did create the delivery
            return
        raise
    payload = data["reverseDeliveryCreateWithShipping"] or {}
    if payload.get("userErrors") or not payload.get("reverseDelivery"):
        raise from_user_errors(payload.get("userErrors") or [], "add the return's tracking")


def _carries(ret: ShopifyReturn, return_id: str, rfo_id: str, tracking_number: str) -> bool:
    return ret.id == return_id and tracking_number in ret.deliveries.get(rfo_id, frozenset())
