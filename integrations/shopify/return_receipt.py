"""After the label: a Shopify return received (returnProcess), read back for the poll, or ended (cancel / close).

returnProcess takes no idempotency key, so it is made safe to repeat by reading first (docs/reference/
shopify-admin-api.md §4, "Dedupe plan"): ReturnDetail says what each return line item has processed already, and
only what is not processed yet is sent. After an attempt whose answer was lost, the same read tells whether it
happened: sent again only when it did not. No refund is made here: refunds go through refundCreate under the
refund request's idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.store import Disposition, ReceivedLine, StoreReturn
from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document
from integrations.shopify.errors import ShopifyError, ShopifyInvalidState, ShopifyNotFound, from_user_errors

log = logging.getLogger(__name__)

POLL_BATCH = 50  # returns per ReturnStates call: well within the query cost limit
NOTE_MAX = 300
_DISPOSITION = {
    Disposition.RESTOCKED: "RESTOCKED",
    Disposition.NOT_RESTOCKED: "NOT_RESTOCKED",
    Disposition.MISSING: "MISSING",
}
_STATUS = {"REQUESTED": "requested", "OPEN": "open", "CLOSED": "closed", "DECLINED": "declined",
           "CANCELED": "cancelled"}  # fmt: skip


@dataclass(frozen=True)
class _Line:
    """A return line item and the reverse fulfillment order line item it came back on."""

    id: str
    line_item_id: str
    unprocessed: int
    rfo_line_id: str


# -- returnProcess ------------------------------------------------------------------------------------------------


def process_return(client: ShopifyClient, return_id: str, lines: Sequence[ReceivedLine], *, note: str) -> None:
    """Confirm what came back of the return, with dispositions; what Shopify has processed already is left out."""
    detail = _detail(client, return_id)
    if detail["status"] in ("CLOSED", "CANCELED", "DECLINED"):
        log.info("shopify return %s is %s: nothing to process", return_id, detail["status"])
        return
    items = _process_items(_lines(detail), lines)
    if not items:
        log.info("shopify return %s has processed these items already", return_id)
        return
    wanted = {item["id"]: item["quantity"] for item in items}
    processed: list[bool] = []  # what a read after a lost answer found

    asked = _asked(items, detail)

    def not_applied() -> bool:
        left = {line.id: line.unprocessed for line in _lines(_detail(client, return_id))}
        if all(left.get(line_id, 0) <= max(0, before - quantity) for line_id, quantity, before in asked):
            processed.append(True)
        return not processed

    variables: dict[str, Any] = {"input": {"returnId": return_id, "returnLineItems": items, "notifyCustomer": False}}
    if note.strip():
        variables["input"]["note"] = note.strip()[:NOTE_MAX]
    try:
        data = client.mutate(document("ReturnProcess"), variables, not_applied=not_applied)
    except ShopifyError:
        if processed:  # the attempt whose answer was lost did process it
            return
        raise
    payload = data["returnProcess"] or {}
    if payload.get("userErrors") or not payload.get("return"):
        raise from_user_errors(payload.get("userErrors") or [], f"record what came back of the return ({wanted})")


def _detail(client: ShopifyClient, return_id: str) -> dict[str, Any]:
    found = client.query(document("ReturnDetail"), {"id": return_id})["return"]
    if found is None:
        raise ShopifyNotFound(f"Shopify could not find return {return_id}: it may have been deleted.")
    return dict(found)


def _lines(detail: Mapping[str, Any]) -> list[_Line]:
    rfo_lines: dict[str, list[str]] = {}
    for rfo in detail["reverseFulfillmentOrders"]["nodes"]:
        for node in rfo["lineItems"]["nodes"]:
            line_item = ((node.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
            if line_item:
                rfo_lines.setdefault(line_item, []).append(node["id"])
    lines = []
    for node in detail["returnLineItems"]["nodes"]:
        line_item = ((node.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
        if line_item and rfo_lines.get(line_item):
            lines.append(_Line(node["id"], line_item, int(node["unprocessedQuantity"]), rfo_lines[line_item][0]))
    return lines


def _process_items(lines: Sequence[_Line], received: Sequence[ReceivedLine]) -> list[dict[str, Any]]:
    """`returnLineItems` for returnProcess: each received unit on a return line item of its order line item that
    still has unprocessed units, with its disposition; what is processed already is skipped."""
    left = {line.id: line.unprocessed for line in lines}
    items: dict[str, dict[str, Any]] = {}
    for got in received:
        quantity = got.quantity
        for line in (x for x in lines if x.line_item_id == got.line_item_id):
            take = min(quantity, left[line.id])
            if take <= 0:
                continue
            left[line.id] -= take
            quantity -= take
            item = items.setdefault(line.id, {"id": line.id, "quantity": 0, "dispositions": []})
            item["quantity"] += take
            item["dispositions"].append(
                {"reverseFulfillmentOrderLineItemId": line.rfo_line_id, "quantity": take,
                 "dispositionType": _DISPOSITION[got.disposition]}
            )  # fmt: skip
        if quantity > 0:
            log.info("shopify return: %s units of %s were processed before", quantity, got.line_item_id)
    return list(items.values())


def _asked(items: Sequence[Mapping[str, Any]], detail: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """(return line item, quantity asked, unprocessed before) per item sent."""
    before = {line.id: line.unprocessed for line in _lines(detail)}
    return [(item["id"], int(item["quantity"]), before.get(item["id"], 0)) for item in items]


# -- the poll -----------------------------------------------------------------------------------------------------


def read_returns(client: ShopifyClient, return_ids: Sequence[str]) -> dict[str, StoreReturn]:
    """The returns as Shopify has them now, POLL_BATCH a call; ids Shopify does not know are left out."""
    found: dict[str, StoreReturn] = {}
    ids = [i for i in dict.fromkeys(return_ids) if i.startswith("gid://shopify/Return/")]
    for start in range(0, len(ids), POLL_BATCH):
        data = client.query(document("ReturnStates"), {"ids": ids[start : start + POLL_BATCH]})
        for node in data["nodes"]:
            if node and node.get("id"):
                found[node["id"]] = _state(node)
    return found


def _state(node: Mapping[str, Any]) -> StoreReturn:
    processed: dict[str, int] = {}
    for line in node["returnLineItems"]["nodes"]:
        line_item = ((line.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("id")
        if line_item:
            processed[line_item] = processed.get(line_item, 0) + int(line.get("processedQuantity") or 0)
    return StoreReturn(node["id"], _STATUS.get(str(node["status"]), str(node["status"]).lower()), processed)


# -- ending a return that never came -----------------------------------------------------------------------------


def cancel_return(client: ShopifyClient, return_id: str) -> None:
    """Cancel the return; Shopify cancels only before any work was done on it, so close it otherwise. A return
    already cancelled, closed or declined is left as it is (a retry after a lost answer finds it so)."""
    status = _detail(client, return_id)["status"]
    if status in ("CANCELED", "CLOSED", "DECLINED"):
        return
    try:
        _end(client, "ReturnCancel", return_id, "cancel the return")
    except ShopifyInvalidState:
        _end(client, "ReturnClose", return_id, "close the return")


def _end(client: ShopifyClient, name: str, return_id: str, action: str) -> None:
    def not_applied() -> bool:
        return _detail(client, return_id)["status"] not in ("CANCELED", "CLOSED")

    data = client.mutate(document(name), {"id": return_id}, not_applied=not_applied)
    payload = data[name[0].lower() + name[1:]] or {}
    if payload.get("userErrors") or not payload.get("return"):
        raise from_user_errors(payload.get("userErrors") or [], action)
