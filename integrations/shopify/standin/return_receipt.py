"""The fake Shopify after the label: `return(id:)`, `returnProcess` (quantities and dispositions), `returnCancel`
(only before any work was done) and `returnClose`; and `close_in_admin`, what a merchant does in Shopify's admin.

Shopify's checks are kept: a line processed beyond its unprocessed quantity, dispositions that do not add up to
the line's quantity, or a return that is not open are refused with `userErrors`, and nothing changes.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from integrations.shopify.standin.values import Node, gid, iso

if TYPE_CHECKING:
    from integrations.shopify.standin.server import FakeShopify

_DISPOSITION_IDS = itertools.count(26_000_001)


def install_receipts(fake: FakeShopify) -> None:
    fake.queries["return"] = _return_query
    fake.mutations["returnProcess"] = lambda args, _directives: _process(fake, args["input"])
    fake.mutations["returnCancel"] = lambda args, _directives: _cancel(fake, args["id"])
    fake.mutations["returnClose"] = lambda args, _directives: _close(fake, args["id"])


def close_in_admin(fake: FakeShopify, return_id: str) -> None:
    """A merchant marks the return returned in Shopify's admin: every unprocessed unit processed, restocked,
    and the return closed."""
    with fake._state_lock:
        ret = _find_return(fake, return_id)
        assert ret is not None, return_id
        for line in ret["_returnLineItems"]:
            _take(line, line["unprocessedQuantity"])
        ret["status"] = "CLOSED"
        ret["closedAt"] = iso(fake.now())


def _return_query(info: GraphQLResolveInfo, id: str) -> Node | None:
    node = info.context.node(id)
    return node if node is not None and node.get("__typename") == "Return" else None


def _find_return(fake: FakeShopify, return_id: str) -> Node | None:
    node = fake.find(return_id)
    return node if node is not None and node.get("__typename") == "Return" else None


def _error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def _refused(*errors: dict[str, Any]) -> dict[str, Any]:
    return {"return": None, "userErrors": list(errors)}


def _process(fake: FakeShopify, given: dict[str, Any]) -> dict[str, Any]:
    ret = _find_return(fake, given["returnId"])
    if ret is None:
        return _refused(_error(["input", "returnId"], "Return does not exist.", "NOT_FOUND"))
    if ret["status"] != "OPEN":
        return _refused(_error(["input", "returnId"], "Return is not open.", "INVALID_STATE"))
    lines = {line["id"]: line for line in ret["_returnLineItems"]}
    rfo_lines = {item["id"]: item for rfo in ret["_reverseFulfillmentOrders"] for item in rfo["_lineItems"]}
    errors, plan = [], []
    for index, item in enumerate(given.get("returnLineItems") or []):
        field = ["input", "returnLineItems", str(index)]
        line = lines.get(item["id"])
        dispositions = item.get("dispositions") or []
        if line is None:
            errors.append(_error([*field, "id"], "Return line item does not exist.", "NOT_FOUND"))
        elif not 0 < item["quantity"] <= line["unprocessedQuantity"]:
            errors.append(_error([*field, "quantity"], "Quantity is not processable.", "INVALID"))
        elif sum(d["quantity"] for d in dispositions) not in (0, item["quantity"]):
            errors.append(_error([*field, "dispositions"], "Dispositions must add up to the quantity.", "INVALID"))
        elif any(d["reverseFulfillmentOrderLineItemId"] not in rfo_lines for d in dispositions):
            errors.append(_error([*field, "dispositions"], "Reverse fulfillment order line item is invalid.",
                                 "NOT_FOUND"))  # fmt: skip
        else:
            plan.append((line, item["quantity"], dispositions))
    if errors:
        return _refused(*errors)
    at = iso(fake.now())
    for line, quantity, dispositions in plan:
        _take(line, quantity)
        for d in dispositions:
            rfo_lines[d["reverseFulfillmentOrderLineItemId"]]["dispositions"].append(
                {"__typename": "ReverseFulfillmentOrderDisposition",
                 "id": gid("ReverseFulfillmentOrderDisposition", next(_DISPOSITION_IDS)), "quantity": d["quantity"],
                 "type": d["dispositionType"], "createdAt": at, "location": None}
            )  # fmt: skip
    ret["_processNote"] = given.get("note")
    ret["_notifyCustomer"] = given.get("notifyCustomer", False) is True
    return {"return": ret, "userErrors": []}


def _take(line: Node, quantity: int) -> None:
    line["processedQuantity"] += quantity
    line["unprocessedQuantity"] -= quantity
    line["processableQuantity"] = max(0, line["processableQuantity"] - quantity)


def _cancel(fake: FakeShopify, return_id: str) -> dict[str, Any]:
    ret = _find_return(fake, return_id)
    if ret is None:
        return _refused(_error(["id"], "Return does not exist.", "NOT_FOUND"))
    worked = any(line["processedQuantity"] for line in ret["_returnLineItems"])
    if ret["status"] not in ("OPEN", "REQUESTED") or worked:
        return _refused(_error(["id"], "Return can't be canceled once work has been done on it.", "INVALID_STATE"))
    ret["status"] = "CANCELED"
    return {"return": ret, "userErrors": []}


def _close(fake: FakeShopify, return_id: str) -> dict[str, Any]:
    ret = _find_return(fake, return_id)
    if ret is None:
        return _refused(_error(["id"], "Return does not exist.", "NOT_FOUND"))
    if ret["status"] != "OPEN":
        return _refused(_error(["id"], "Return is not open.", "INVALID_STATE"))
    ret["status"] = "CLOSED"
    ret["closedAt"] = iso(fake.now())
    return {"return": ret, "userErrors": []}
