"""An order's payments (OrderTransaction) and the refunds its export already records, as Shopify's Admin GraphQL
API would return them for one of the bot's Order values. (Refunds made through the fake: refunds.py.)"""

from __future__ import annotations

from decimal import Decimal

from domain.money import Money
from domain.orders import FinancialStatus, Order, Transaction
from integrations.shopify.standin.connections import connection_of
from integrations.shopify.standin.values import Ids, Node, gateway_handle, iso, money_bag, money_v2

_TRANSACTION_KINDS = {"sale", "capture", "authorization", "refund", "void", "change"}


def transaction_nodes(order: Order, ids: Ids) -> list[Node]:
    transactions = list(order.transactions) or _implied_transactions(order)
    nodes: list[Node] = []
    for t in transactions:
        kind = t.kind.lower() if t.kind.lower() in _TRANSACTION_KINDS else "sale"
        number_gid, number = ids.new("OrderTransaction")
        processed = iso(t.created_at or order.cancelled_at or order.created_at)
        node: Node = {
            "__typename": "OrderTransaction",
            "id": number_gid,
            "kind": kind.upper(),
            "status": "SUCCESS",
            "test": False,
            "gateway": gateway_handle(t.gateway or order.payment_method),
            "formattedGateway": t.gateway or order.payment_method or "Manual",
            "processedAt": processed,
            "createdAt": processed,
            "amountSet": money_bag(t.amount),
            "maximumRefundableV2": None,
            "parentTransaction": None,
            "paymentId": f"pay_{number}",
            "manuallyCapturable": False,
            "multiCapturable": False,
            "errorCode": None,
            "authorizationExpiresAt": None,
            "fees": [],
            # an export does not date its refunds: such a refund is served without a date
            "_dated": t.created_at is not None,
        }
        nodes.append(node)
    _link_refunds(nodes)
    return nodes


def _implied_transactions(order: Order) -> list[Transaction]:
    """A hand-built order without transactions gets the ones its financial status implies."""
    paid = order.financial_status in (
        FinancialStatus.PAID,
        FinancialStatus.PARTIALLY_REFUNDED,
        FinancialStatus.REFUNDED,
    )
    implied = [Transaction("sale", order.total, order.payment_method, order.created_at)] if paid else []
    if paid and not order.refunded.is_zero():
        implied.append(Transaction("refund", order.refunded, order.payment_method, order.cancelled_at))
    return implied


def _link_refunds(nodes: list[Node]) -> None:
    sales = [n for n in nodes if n["kind"] in ("SALE", "CAPTURE")]
    remaining = {n["id"]: Decimal(n["amountSet"]["shopMoney"]["amount"]) for n in sales}
    for n in nodes:
        if n["kind"] == "REFUND" and sales:
            parent = next((s for s in sales if s["gateway"] == n["gateway"]), sales[0])
            n["parentTransaction"] = parent
            remaining[parent["id"]] -= Decimal(n["amountSet"]["shopMoney"]["amount"])
    for s in sales:
        currency = s["amountSet"]["shopMoney"]["currencyCode"]
        s["maximumRefundableV2"] = money_v2(Money(max(remaining[s["id"]], Decimal(0)), currency))


def recorded_refunds(order_node: Node, ids: Ids) -> list[Node]:
    """One Refund per refund transaction the order came with."""
    refunds = []
    for position, t in enumerate(n for n in order_node["_transactions"] if n["kind"] == "REFUND"):
        refund_gid, number = ids.new("Refund")
        refund: Node = {
            "__typename": "Refund",
            "id": refund_gid,
            "legacyResourceId": str(number),
            "createdAt": t["processedAt"] if t["_dated"] else None,
            "processedAt": t["processedAt"],
            "updatedAt": t["processedAt"],
            "note": None,
            "totalRefundedSet": t["amountSet"],
            "order": order_node,
            "return": None,
            "staffMember": None,
            "duties": [],
            "_position": position,
            "_transactions": [t],
            "_refundLineItems": [],
            "_refundShippingLines": [],
            "_orderAdjustments": [],
        }
        for name in ("transactions", "refundLineItems", "refundShippingLines", "orderAdjustments"):
            refund[name] = connection_of(refund, f"_{name}")
        refunds.append(refund)
    return refunds
