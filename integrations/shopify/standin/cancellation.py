"""Cancelling orders on the fake Shopify: `orderCancel` as an asynchronous job, `job(id:)`, and `Order.risk`.

Every FakeShopify installs them (`install_cancellations`); the desk is `fake.cancellations`. orderCancel checks
Shopify's preconditions (not cancelled yet, nothing shipped, no pending payment, no return in progress) and answers
with a job that is not done. The job finishes after `polls_until_done` looks at it (`job(id:)`; 0: done at once),
or once the fake's clock passes `seconds_until_done` after the mutation: no test waits in real time. Then the order
is cancelled: what is left of the payments refunded through the fake's own refundCreate (refundMethod given), the
lines taken off (restocked when asked), `cancelledAt`, `cancelReason`.

    fake.cancellations.polls_until_done = 3      # the job needs three looks
    fake.cancellations.never_finish = True       # the job runs past any budget
    fake.cancellations.fail_jobs = True          # the job ends without cancelling (Shopify refused on its own)
    fake.cancellations.set_risk(order_gid, "HIGH")
    cancels_applied(fake, order_gid)             # how often an order was cancelled (never more than once)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from integrations.shopify.standin.queries import query_root
from integrations.shopify.standin.refund_amounts import maximum_refundable, parent_left, refund_parents, shipping_left
from integrations.shopify.standin.values import Node, gid, iso

if TYPE_CHECKING:
    from integrations.shopify.standin.server import FakeShopify

_JOB_BASE = 40_000_000
_SHIPPED = {"FULFILLED", "PARTIALLY_FULFILLED"}


@dataclass
class _Job:
    id: str
    order_id: str
    args: dict[str, Any]
    started: datetime
    looks: int = 0
    done: bool = False


def install_cancellations(fake: FakeShopify) -> CancelDesk:
    desk = CancelDesk(fake)
    fake.mutations["orderCancel"] = desk.order_cancel
    fake.queries["job"] = desk.job_field
    fake.fields["Order.risk"] = desk.risk_field
    return desk


def cancels_applied(fake: FakeShopify, order_id: str) -> int:
    order = fake.find(order_id)
    assert order is not None and order.get("__typename") == "Order", f"no order {order_id}"
    return int(order.get("_cancelsApplied", 0))


class CancelDesk:
    def __init__(self, fake: FakeShopify) -> None:
        self.fake = fake
        self.polls_until_done = 1
        self.seconds_until_done: float | None = None
        self.never_finish = False
        self.fail_jobs = False
        self.jobs: dict[str, _Job] = {}
        self._numbers = itertools.count(_JOB_BASE + 1)
        self._risk: dict[str, str] = {}

    def set_risk(self, order_id: str, level: str) -> None:
        self._risk[order_id] = level

    # -- orderCancel

    def order_cancel(self, args: dict[str, Any], _directives: dict[str, dict[str, Any]]) -> Node:
        order = self.fake.find(args["orderId"])
        if order is None or order.get("__typename") != "Order":
            return _refused(["orderId"], "Order does not exist", "NOT_FOUND")
        problem = self._precondition(order)
        if problem:
            return _refused(["orderId"], problem, "INVALID")
        credit = (args.get("refundMethod") or {}).get("storeCreditRefund") is not None
        if credit and order.get("customer") is None:
            return _refused(["refundMethod"], "Order has no customer", "STORE_CREDIT_REFUND_MISSING_CUSTOMER")
        job = _Job(gid("Job", next(self._numbers)), order["id"], dict(args), self.fake.now())
        self.jobs[job.id] = job
        order["_cancelJob"] = job.id
        if self.polls_until_done <= 0 and not self.never_finish:
            self._finish(job)  # done before Shopify even answers
        return {"job": self._job_node(job), "orderCancelUserErrors": [], "userErrors": []}

    def _precondition(self, order: Node) -> str:
        if order.get("cancelledAt"):
            return "Order has already been cancelled"
        running = self.jobs.get(order.get("_cancelJob") or "")
        if running is not None and not running.done:
            return "Order is already being cancelled"
        if order["displayFulfillmentStatus"] in _SHIPPED or order["_fulfillments"]:
            return "Order has fulfillments that can't be cancelled"
        if order["displayFinancialStatus"] in ("PENDING", "PARTIALLY_PAID"):
            return "Order has pending payment authorizations"
        if order.get("returnStatus") == "IN_PROGRESS":
            return "Order has active returns in progress"
        return ""

    # -- job(id:)

    def job_field(self, _info: GraphQLResolveInfo, id: str) -> Node | None:
        job = self.jobs.get(id)
        if job is None:
            return None
        self.look(job.order_id)
        return self._job_node(job)

    def look(self, order_id: str) -> None:
        """Someone looked at the job (or at its order): it may be done now."""
        job = self.jobs.get((self.fake.find(order_id) or {}).get("_cancelJob") or "")
        if job is None or job.done or self.never_finish:
            return
        job.looks += 1
        late = self.seconds_until_done is not None and self.fake.now() >= job.started + timedelta(
            seconds=self.seconds_until_done
        )
        if job.looks >= self.polls_until_done or late:
            self._finish(job)

    def _job_node(self, job: _Job) -> Node:
        # `query` resolves only once the job is done, as Shopify's does: then anything can be read through it
        query = query_root(self.fake) if job.done else None
        return {"__typename": "Job", "id": job.id, "done": job.done, "query": query}

    def _finish(self, job: _Job) -> None:
        job.done = True
        order = self.fake.find(job.order_id)
        if order is None or self.fail_jobs or self._precondition_when_done(order):
            return
        refund_method = job.args.get("refundMethod") or {}
        if refund_method and maximum_refundable(order) > 0:
            self._refund(order, job.args.get("restock", False))
        else:
            for line in order["_lineItems"]:
                line["currentQuantity"] = 0
                line["unfulfilledQuantity"] = 0
        now = iso(self.fake.now())
        order.update(
            {
                "cancelledAt": now,
                "cancelReason": job.args["reason"],
                "closed": True,
                "closedAt": now,
                "updatedAt": now,
                "merchantEditable": False,
                "currentSubtotalLineItemsQuantity": 0,
                "_cancelsApplied": order.get("_cancelsApplied", 0) + 1,
            }
        )
        if job.args.get("restock"):
            order["displayFulfillmentStatus"] = "RESTOCKED"
        if order["displayFinancialStatus"] in ("AUTHORIZED",):
            order["displayFinancialStatus"] = "VOIDED"  # the hold is released with the order

    def _precondition_when_done(self, order: Node) -> bool:
        return bool(order.get("cancelledAt")) or order["displayFulfillmentStatus"] in _SHIPPED

    def _refund(self, order: Node, restock: bool) -> None:
        """What is left goes back through the fake's own refundCreate: lines, shipping and payments."""
        left = maximum_refundable(order)
        transactions = []
        for parent in refund_parents(order):
            share = min(parent_left(order, parent), left)
            if share > 0:
                transactions.append({"orderId": order["id"], "parentId": parent["id"], "gateway": parent["gateway"],
                                     "kind": "REFUND", "amount": str(share)})  # fmt: skip
                left -= share
        lines = [
            {"lineItemId": li["id"], "quantity": li["refundableQuantity"],
             "restockType": "CANCEL" if restock else "NO_RESTOCK"}
            for li in order["_lineItems"] if li["refundableQuantity"] > 0
        ]  # fmt: skip
        given: dict[str, Any] = {"orderId": order["id"], "refundLineItems": lines, "transactions": transactions,
                                 "note": "Order cancelled"}  # fmt: skip
        if shipping_left(order) > Decimal(0):
            given["shipping"] = {"fullRefund": True}
        key = {"idempotent": {"key": f"cancel-{order['id']}"}}
        self.fake.mutations["refundCreate"]({"input": given}, key)

    # -- Order.risk

    def risk_field(self, source: Node, _info: GraphQLResolveInfo) -> Node:
        level = self._risk.get(source["id"])
        if level is None:
            given = getattr(source.get("_order"), "risk_level", None)
            level = given.value if given is not None else None
        assessments: list[Node] = [] if level is None else [
            {"__typename": "OrderRiskAssessment", "riskLevel": level, "facts": [], "provider": None}
        ]  # fmt: skip
        recommendation = {"HIGH": "CANCEL", "MEDIUM": "INVESTIGATE"}.get(level or "", "ACCEPT")
        return {"__typename": "OrderRiskSummary", "assessments": assessments, "recommendation": recommendation}


def _refused(field: list[str], message: str, code: str) -> Node:
    error = {"__typename": "OrderCancelUserError", "field": field, "message": message, "code": code}
    return {"job": None, "orderCancelUserErrors": [error], "userErrors": []}
