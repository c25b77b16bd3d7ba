"""Zero-cost replacement orders on the fake Shopify: `draftOrders(query:)`, `draftOrderCreate`, `draftOrderComplete`,
`productVariants(query:)`, and the original's `tagsAdd` and `orderUpdate` (its note overwritten as Shopify does).

Every FakeShopify installs them (`install_replacements`); the desk is `fake.drafts`. A draft is created as Shopify
does (lines by variant or custom, the applied discount, the shipping line, tags, note, address), with `userErrors`
on the field for a variant that does not exist or has too few in stock. Completing it makes a paid order in the shop
(tags and all, found by `orders(query: "tag:…")`); completing it again is refused. Controls for the tests:

    fake.drafts.set_stock(variant_gid, 0)        # out of stock: draftOrderCreate answers a userError on the line
    fake.drafts.fail_completions = 1             # the next draftOrderComplete answers a userError, the draft stays
    drafts_made(fake)                            # every draft created, in order
"""

from __future__ import annotations

import re
from datetime import UTC
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from domain.money import Money
from domain.orders import Address, FinancialStatus, FulfillmentStatus, LineItem, Order, OrderRef
from integrations.shopify.standin.connections import page_args, paginate
from integrations.shopify.standin.refund_checks import user_error
from integrations.shopify.standin.search import Term, compile_query, words_match
from integrations.shopify.standin.values import Node, fold, gid, iso, money_bag

if TYPE_CHECKING:
    from integrations.shopify.standin.server import FakeShopify

_DRAFT_BASE = 50_000_000
DEFAULT_STOCK = 100


def install_replacements(fake: FakeShopify) -> DraftDesk:
    desk = DraftDesk(fake)
    fake.queries["draftOrders"] = desk.draft_orders
    fake.queries["productVariants"] = desk.product_variants
    fake.queries["productVariant"] = desk.product_variant
    fake.fields["ProductVariant.inventoryQuantity"] = desk.inventory_quantity
    fake.mutations["draftOrderCreate"] = desk.draft_order_create
    fake.mutations["draftOrderComplete"] = desk.draft_order_complete
    fake.mutations["tagsAdd"] = desk.tags_add
    fake.mutations["orderUpdate"] = desk.order_update
    return desk


def drafts_made(fake: FakeShopify) -> list[Node]:
    return list(fake.drafts.drafts)


class DraftDesk:
    def __init__(self, fake: FakeShopify) -> None:
        self.fake = fake
        self.drafts: list[Node] = []
        self.stock: dict[str, int] = {}  # variant GID -> units available (DEFAULT_STOCK when not set)
        self.fail_completions = 0

    def set_stock(self, variant_id: str, units: int) -> None:
        self.stock[variant_id] = units

    def variants(self) -> list[Node]:
        return list(self.fake.data._variants.values())

    # -- queries

    def inventory_quantity(self, source: Node, _info: GraphQLResolveInfo, **_args: Any) -> int:
        return self.stock.get(source["id"], DEFAULT_STOCK)

    def product_variants(self, info: GraphQLResolveInfo, query: str | None = None, sortKey: str | None = None,
                         reverse: bool = False, **page: Any) -> Node:  # fmt: skip
        search = compile_query(query, _VARIANT_FILTERS, _variant_default)
        info.context.note_search(info, query, search.warnings)
        key = (lambda v: (fold(v["displayName"]), v["id"])) if sortKey == "TITLE" else (lambda v: (v["id"],))
        found = sorted((v for v in self.variants() if search.matches(v)), key=key, reverse=reverse)
        return paginate(found, info, key=key, descending=reverse, **page_args(page))

    def product_variant(self, _info: GraphQLResolveInfo, id: str) -> Node | None:  # the argument's name
        return next((v for v in self.variants() if v["id"] == id), None)

    def draft_orders(self, info: GraphQLResolveInfo, query: str | None = None, sortKey: str | None = None,
                     reverse: bool = False, **page: Any) -> Node:  # fmt: skip
        search = compile_query(query, _DRAFT_FILTERS, _draft_default)
        info.context.note_search(info, query, search.warnings)

        def key(d: Node) -> tuple[Any, ...]:
            return (d["_position"],)

        found = sorted((d for d in self.drafts if search.matches(d)), key=key, reverse=reverse)
        return paginate(found, info, key=key, descending=reverse, **page_args(page))

    # -- mutations

    def draft_order_create(self, args: dict[str, Any], _directives: dict[str, dict[str, Any]]) -> Node:
        given = args["input"]
        errors, lines = self._lines(given.get("lineItems") or [])
        if errors:
            return {"draftOrder": None, "userErrors": errors}
        currency = self._currency(given)
        subtotal = sum((Decimal(line["_price"]) * line["quantity"] for line in lines), Decimal(0))
        discount = self._discount(given.get("appliedDiscount"), subtotal)
        shipping = Decimal(str(((given.get("shippingLine") or {}).get("priceWithCurrency") or {}).get("amount") or 0))
        number = _DRAFT_BASE + len(self.drafts) + 1
        draft: Node = {
            "__typename": "DraftOrder",
            "id": gid("DraftOrder", number),
            "name": f"#D{len(self.drafts) + 1}",
            "status": "OPEN",
            "tags": sorted(set(given.get("tags") or ())),
            "note2": given.get("note"),
            "email": given.get("email"),
            "order": None,
            "createdAt": iso(self.fake.now()),
            "totalPriceSet": money_bag(Money(max(subtotal - discount, Decimal(0)) + shipping, currency)),
            "_position": len(self.drafts),
            "_input": given,
            "_lines": lines,
            "_currency": currency,
            "_discount": discount,
            "_shipping": shipping,
        }
        self.drafts.append(self.fake.data.register(draft))
        return {"draftOrder": draft, "userErrors": []}

    def draft_order_complete(self, args: dict[str, Any], _directives: dict[str, dict[str, Any]]) -> Node:
        draft = self.fake.find(args["id"])
        if draft is None or draft.get("__typename") != "DraftOrder":
            return {"draftOrder": None, "userErrors": [user_error(["id"], "Draft order does not exist.")]}
        if draft["status"] == "COMPLETED":
            return {"draftOrder": draft, "userErrors": [user_error(None, "This order has already been paid.")]}
        if self.fail_completions > 0:
            self.fail_completions -= 1
            return {"draftOrder": draft, "userErrors": [user_error(None, "Draft order could not be completed.")]}
        draft["order"] = self._order_of(draft)
        draft["status"] = "COMPLETED"
        return {"draftOrder": draft, "userErrors": []}

    def tags_add(self, args: dict[str, Any], _directives: dict[str, dict[str, Any]]) -> Node:
        node = self.fake.find(args["id"])
        if node is None or "tags" not in node:
            return {"node": None, "userErrors": [user_error(["id"], "Resource does not exist.")]}
        tags = args["tags"] if isinstance(args["tags"], list) else str(args["tags"]).split(",")
        for tag in (t.strip() for t in tags):
            if tag and tag not in node["tags"]:
                node["tags"] = [*node["tags"], tag]
        return {"node": node, "userErrors": []}

    def order_update(self, args: dict[str, Any], _directives: dict[str, dict[str, Any]]) -> Node:
        given = args["input"]
        order = self.fake.find(given["id"])
        if order is None or order.get("__typename") != "Order":
            return {"order": None, "userErrors": [user_error(["id"], "Order does not exist")]}
        if "note" in given:
            order["note"] = given["note"]  # overwritten, as Shopify does: the caller appends
        if "tags" in given:
            order["tags"] = list(given["tags"] or ())
        if "email" in given:
            order["email"] = given["email"]
        return {"order": order, "userErrors": []}

    # -- internals

    def _lines(self, given: list[dict[str, Any]]) -> tuple[list[Node], list[dict[str, Any]]]:
        by_id = {v["id"]: v for v in self.variants()}
        errors: list[Node] = []
        lines: list[dict[str, Any]] = []
        for index, line in enumerate(given):
            quantity = int(line.get("quantity") or 0)
            if quantity < 1:
                errors.append(user_error(["lineItems", str(index), "quantity"], "Quantity must be greater than 0"))
                continue
            variant_id = line.get("variantId")
            if variant_id:
                variant = by_id.get(variant_id)
                if variant is None:
                    errors.append(user_error(["lineItems", str(index), "variantId"], "Product variant not found."))
                    continue
                if self.stock.get(variant_id, DEFAULT_STOCK) < quantity:
                    errors.append(
                        user_error(["lineItems", str(index), "quantity"], f"{variant['displayName']} is out of stock.")
                    )
                    continue
                lines.append({"quantity": quantity, "_variant": variant, "_title": variant["displayName"],
                              "_sku": variant["sku"], "_price": variant["price"]})  # fmt: skip
            elif line.get("title"):
                price = (line.get("originalUnitPriceWithCurrency") or {}).get("amount") or "0"
                lines.append({"quantity": quantity, "_variant": None, "_title": line["title"], "_sku": "",
                              "_price": str(price)})  # fmt: skip
            else:
                errors.append(user_error(["lineItems", str(index)], "Line item must have a variant or a title."))
        return errors, lines

    def _currency(self, given: dict[str, Any]) -> str:
        shipping = ((given.get("shippingLine") or {}).get("priceWithCurrency") or {}).get("currencyCode")
        if shipping:
            return str(shipping)
        return self.fake.data.orders[0]["currencyCode"] if self.fake.data.orders else "EUR"

    @staticmethod
    def _discount(applied: dict[str, Any] | None, subtotal: Decimal) -> Decimal:
        if not applied:
            return Decimal(0)
        value = Decimal(str(applied.get("value") or 0))
        if applied.get("valueType") == "PERCENTAGE":
            return (subtotal * min(value, Decimal(100)) / 100).quantize(Decimal("0.01"))
        return min(value, subtotal)

    def _order_of(self, draft: Node) -> Node:
        """The completed draft as an order of the shop: paid, its items discounted in full, tagged as the draft."""
        given, currency = draft["_input"], draft["_currency"]
        numbers = [o["number"] for o in self.fake.data.orders]
        number = max(numbers, default=1000) + 1
        address = given.get("shippingAddress") or {}
        name = " ".join(p for p in (address.get("firstName"), address.get("lastName")) if p)
        now = self.fake.now()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        subtotal = sum((Decimal(li["_price"]) * li["quantity"] for li in draft["_lines"]), Decimal(0))
        total = max(subtotal - draft["_discount"], Decimal(0)) + draft["_shipping"]
        order = Order(
            ref=OrderRef(f"draft-{draft['id']}", f"#{number}"), created_at=now.replace(microsecond=0),
            customer_name=name, email=given.get("email") or "", phone=address.get("phone") or "", currency=currency,
            subtotal=Money(subtotal - draft["_discount"], currency), shipping=Money(draft["_shipping"], currency),
            taxes=Money.zero(currency), discounts=Money(draft["_discount"], currency), total=Money(total, currency),
            refunded=Money.zero(currency),
            financial_status=FinancialStatus.PAID if total == 0 else FinancialStatus.PENDING,
            fulfillment_status=FulfillmentStatus.UNFULFILLED,
            shipping_address=Address(
                name=name, company=address.get("company") or "", address1=address.get("address1") or "",
                address2=address.get("address2") or "", city=address.get("city") or "", zip=address.get("zip") or "",
                province=address.get("provinceCode") or "", country=address.get("countryCode") or "",
                phone=address.get("phone") or "",
            ),
            billing_address=Address(),
            line_items=tuple(
                LineItem(id=str(i), name=li["_title"], sku=li["_sku"], quantity=li["quantity"],
                         unit_price=Money(Decimal(li["_price"]), currency))
                for i, li in enumerate(draft["_lines"], start=1)
            ),
            shipping_method=(given.get("shippingLine") or {}).get("title") or "",
            tags=tuple(draft["tags"]), note=given.get("note") or "",
        )  # fmt: skip
        return self.fake.data.add(order)


def _variant_default(node: Node, term: Term) -> bool:
    return words_match(term.value, node["displayName"], node["sku"])


_VARIANT_FILTERS = {
    "sku": lambda n, t: (n["sku"] or "").lower() == t.value.lower(),
    "title": lambda n, t: words_match(t.value, n["displayName"]),
    "default": _variant_default,
}


def _draft_default(node: Node, term: Term) -> bool:
    return words_match(term.value, node["name"], node.get("email"))


_DRAFT_FILTERS = {
    "tag": lambda n, t: any(tag.lower() == t.value.lower() for tag in n["tags"]),
    "status": lambda n, t: n["status"].lower() == t.value.lower(),
    "id": lambda n, t: re.sub(r"\D", "", n["id"]) == t.value,
    "default": _draft_default,
}
