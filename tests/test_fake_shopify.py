"""The fake Shopify Admin GraphQL API answers like Shopify: validation, search, scopes, cost, throttling, faults."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from domain.money import Money
from domain.orders import Address, FinancialStatus, FulfillmentStatus, LineItem, Order, OrderRef
from integrations.local_store.demo import demo_orders
from integrations.shopify.standin.connections import connection_of
from integrations.shopify.standin.cost import requested_cost
from integrations.shopify.standin.schema import (
    check_variables,
    coerce_variables,
    load_schema,
    select_operation,
    validate_document,
)
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.standin.values import money_bag

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REFERENCE = Path(__file__).resolve().parent / "fixtures" / "docs" / "shopify-admin-api.md"

ORDER_SEARCH = """
query OrderSearch($query: String!, $first: Int = 5) {
  orders(first: $first, query: $query, sortKey: PROCESSED_AT, reverse: true) {
    nodes { id name createdAt email customer { id legacyResourceId displayName } displayFinancialStatus
            currentTotalPriceSet { shopMoney { amount currencyCode } } }
  }
}
"""
CUSTOMER_SEARCH = """
query CustomerSearch($query: String!) {
  customers(first: 5, query: $query) {
    nodes { id legacyResourceId displayName firstName lastName defaultEmailAddress { emailAddress } numberOfOrders }
  }
}
"""
CUSTOMER_ORDERS = '{ customers(first: 1, query: "QUERY") { nodes { lastName orders(first: 5) { nodes { name } } } } }'
ORDER_BY_ID = "query OrderById($id: ID!) { order(id: $id) { id name customer { displayName } } }"


def reference_blocks() -> list[tuple[str, str, dict[str, Any], int | None]]:
    """(name, document, example variables, estimated cost) of every operation in the research notes."""
    text = REFERENCE.read_text(encoding="utf-8")
    pattern = re.compile(
        r"(?:\*\*(\w+)\*\* \(estimated requested cost ≈ (\d+) points\)\s*)?```graphql\n(.*?)```"
        r"(?:\s*Example variables:\s*```json\n(.*?)```)?",
        re.S,
    )
    blocks = []
    for name, cost, document, variables in pattern.findall(text):
        if document.lstrip().startswith("# signature"):
            continue  # reference excerpts, not operations
        blocks.append((name or "anonymous", document, json.loads(variables) if variables else {}, int(cost or 0)))
    return blocks


def make_order(
    name: str,
    *,
    customer: str = "Anna Virtanen",
    email: str = "anna@example.com",
    created_at: datetime = NOW - timedelta(days=1),
    items: int = 1,
    financial: FinancialStatus = FinancialStatus.PAID,
    cancelled_at: datetime | None = None,
) -> Order:
    lines = tuple(
        LineItem(id=f"{name}-{i}", name=f"Item {i}", sku=f"SKU-{i}", quantity=1, unit_price=Money.parse("10.00", "EUR"))
        for i in range(1, items + 1)
    )
    total = Money.parse(Decimal(10 * items), "EUR")
    zero = Money.zero("EUR")
    return Order(
        ref=OrderRef(name.lstrip("#"), name),
        created_at=created_at,
        customer_name=customer,
        email=email,
        phone="",
        currency="EUR",
        subtotal=total,
        shipping=zero,
        taxes=zero,
        discounts=zero,
        total=total,
        refunded=zero,
        financial_status=financial,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        shipping_address=Address(
            name=customer, address1="Mannerheimintie 1", city="Helsinki", zip="00100", country="FI"
        ),
        billing_address=Address(),
        line_items=lines,
        cancelled_at=cancelled_at,
    )


@pytest.fixture(scope="module")
def shop() -> Iterator[FakeShopify]:
    """The demo orders, read by an app with every scope (read-only tests share it)."""
    with FakeShopify(demo_orders(), now=lambda: NOW) as fake:
        yield fake


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


def post(
    client: httpx.Client, fake: FakeShopify, query: str, variables: dict | None = None, **body: Any
) -> httpx.Response:
    return client.post(
        fake.admin_url, headers=fake.headers, json={"query": query, "variables": variables or {}, **body}
    )


def names(response: httpx.Response, root: str = "orders") -> list[str]:
    return [n["name"] for n in response.json()["data"][root]["nodes"]]


def search(client: httpx.Client, fake: FakeShopify, query: str, first: int = 25) -> list[str]:
    response = post(client, fake, ORDER_SEARCH, {"query": query, "first": first})
    assert "errors" not in response.json(), response.json()
    return names(response)


# --- the schema checks ------------------------------------------------------------------------------------------


def test_every_operation_in_the_research_notes_is_valid_with_its_example_variables() -> None:
    blocks = reference_blocks()
    assert len(blocks) >= 20
    for name, document, variables, _ in blocks:
        assert validate_document(document) == [], name
        assert coerce_variables(document, variables) == [], name


def test_requested_cost_follows_the_published_model_used_for_the_estimates() -> None:
    schema = load_schema()
    estimated = [(n, d, v, c) for n, d, v, c in reference_blocks() if c]
    assert {"OrderSearch", "OrderDetail", "OrderPayments", "OpenReturns", "RefundCreate"} <= {e[0] for e in estimated}
    for name, document, variables, cost in estimated:
        parsed = parse(document)
        operation = select_operation(parsed, None)
        coerced, errors = check_variables(operation, variables)  # type: ignore[arg-type]
        assert not errors
        assert requested_cost(schema, parsed, operation, coerced) == cost, name  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            'mutation { draftOrderComplete(id: "gid://shopify/DraftOrder/1", paymentPending: true)'
            " { draftOrder { id } } }",
            "argument 'paymentPending' is deprecated",
        ),
        ('{ customer(id: "gid://shopify/Customer/1") { email } }', "Customer.email is deprecated"),
        (
            '{ order(id: "gid://shopify/Order/1") { totalRefundableSet { shopMoney { amount } } } }',
            "Cannot query field 'totalRefundableSet' on type 'Order'",
        ),
        (
            'mutation { refundCreate(input: {orderId: "gid://shopify/Order/1"}) @idempotent { refund { id } } }',
            "Directive '@idempotent' argument 'key' of type 'String!' is required",
        ),
        (
            "mutation { draftOrderCreate(input: {appliedDiscount: {value: 5, amount: 5}}) { draftOrder { id } } }",
            "input field DraftOrderAppliedDiscountInput.amount is deprecated",
        ),
        (
            "mutation { draftOrderCreate(input: {presentmentCurrencyCode: VEF}) { draftOrder { id } } }",
            "enum value 'CurrencyCode.VEF' is deprecated",
        ),
        (
            'mutation { orderCancel(orderId: "gid://shopify/Order/1", reason: CUSTOMER, restock: true, refund: true)'
            " { job { id } } }",
            "argument 'refund' is deprecated",
        ),
        ("{ orders(first: 1) { nodes { id }", "Syntax Error"),
    ],
)
def test_the_validator_rejects_what_the_notes_say_to_avoid(document: str, expected: str) -> None:
    errors = validate_document(document)
    assert any(expected in e for e in errors), errors


def test_variable_values_are_coerced_and_checked_for_deprecated_input() -> None:
    document = "mutation D($input: DraftOrderInput!) { draftOrderCreate(input: $input) { draftOrder { id } } }"
    assert coerce_variables(document, {"input": {"note": "ok"}}) == []
    assert any("is required" in e or "was not provided" in e for e in coerce_variables(document, {}))
    deprecated = coerce_variables(document, {"input": {"customerId": "gid://shopify/Customer/1"}})
    assert any("DraftOrderInput.customerId is deprecated" in e for e in deprecated)
    enum = coerce_variables(document, {"input": {"presentmentCurrencyCode": "VEF"}})
    assert any("CurrencyCode.VEF" in e for e in enum)


# --- answering queries ------------------------------------------------------------------------------------------


def test_a_valid_query_returns_data_and_cost(shop: FakeShopify, client: httpx.Client) -> None:
    response = post(client, shop, ORDER_SEARCH, {"query": "name:#1001"})
    assert response.status_code == 200
    body = response.json()
    [order] = body["data"]["orders"]["nodes"]
    assert order["name"] == "#1001"
    assert order["id"] == shop.order_gid(demo_orders()[0])
    assert order["createdAt"] == "2026-09-01T07:14:22Z"
    assert order["currentTotalPriceSet"]["shopMoney"] == {"amount": "387.7", "currencyCode": "EUR"}
    assert order["customer"]["displayName"] == "Jānis Bērziņš"
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 5 * 4
    assert cost["actualQueryCost"] == 2 + 1 * 4
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    assert shop.calls_named("OrderSearch")[-1].outcome == "ok"
    shop.assert_no_rejections()


def test_order_detail_serves_the_shape_of_a_fulfilled_order(shop: FakeShopify, client: httpx.Client) -> None:
    query = """
    query Detail($id: ID!) {
      order(id: $id) {
        name number legacyResourceId displayFulfillmentStatus closed refundable
        shippingAddress { name city zip countryCodeV2 }
        shippingLine { title }
        lineItems(first: 10) { nodes { name sku quantity unfulfilledQuantity refundableQuantity } }
        fulfillments(first: 5) { trackingInfo(first: 1) { company number } fulfillmentLineItems(first: 10) {
          nodes { quantity lineItem { sku } } } }
        transactions(first: 5) { kind gateway amountSet { shopMoney { amount } } maximumRefundableV2 { amount } }
      }
    }"""
    response = post(client, shop, query, {"id": shop.order_gid(demo_orders()[0])})
    order = response.json()["data"]["order"]
    assert (order["name"], order["number"], order["displayFulfillmentStatus"]) == ("#1001", 1001, "FULFILLED")
    assert order["closed"] and order["refundable"]
    assert order["shippingAddress"] == {
        "name": "Jānis Bērziņš",
        "city": "Rīga",
        "zip": "LV-1011",
        "countryCodeV2": "LV",
    }
    assert order["shippingLine"] == {"title": "DPD Pickup"}
    assert [li["sku"] for li in order["lineItems"]["nodes"]] == ["PO-KDJ-M-LIN", "PO-WHS-4346", "PO-RBN-OS-GRN"]
    assert all(li["unfulfilledQuantity"] == 0 for li in order["lineItems"]["nodes"])
    [fulfillment] = order["fulfillments"]
    assert fulfillment["trackingInfo"] == [{"company": "DPD", "number": "05808812345601"}]
    shipped = [f["lineItem"]["sku"] for f in fulfillment["fulfillmentLineItems"]["nodes"]]
    assert shipped == ["PO-KDJ-M-LIN", "PO-WHS-4346", "PO-RBN-OS-GRN"]
    [sale] = order["transactions"]
    assert (sale["kind"], sale["gateway"], sale["maximumRefundableV2"]["amount"]) == (
        "SALE",
        "shopify_payments",
        "387.7",
    )
    shop.assert_no_rejections()


def test_refunds_link_to_their_sale(shop: FakeShopify, client: httpx.Client) -> None:
    query = """query P($id: ID!) { order(id: $id) { displayFinancialStatus totalRefundedSet { shopMoney { amount } }
      transactions(first: 5) { id kind maximumRefundableV2 { amount } parentTransaction { id } }
      refunds(first: 5) { totalRefundedSet { shopMoney { amount } } } } }"""
    partly_refunded = next(o for o in demo_orders() if o.name == "#1005")
    order = post(client, shop, query, {"id": shop.order_gid(partly_refunded)}).json()["data"]["order"]
    assert order["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    sale, refund = order["transactions"]
    assert refund["kind"] == "REFUND" and refund["parentTransaction"] == {"id": sale["id"]}
    assert sale["maximumRefundableV2"]["amount"] == "139.9"
    assert order["refunds"][0]["totalRefundedSet"]["shopMoney"]["amount"] == "79.0"


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        ("{ orders(first: 1) { nodes { totalRefundableSet { shopMoney { amount } } } } }", {}, "Cannot query field"),
        ('{ customer(id: "gid://shopify/Customer/1") { email } }', {}, "Customer.email is deprecated"),
        ("{ orders(first: 1) { nodes { id }", {}, "Syntax Error"),
        (ORDER_BY_ID, {}, "$id"),
        (ORDER_BY_ID, {"id": ["not", "an", "id"]}, "$id"),
    ],
)
def test_invalid_requests_are_rejected_like_shopify(
    shop: FakeShopify, client: httpx.Client, query: str, variables: dict, message: str
) -> None:
    shop.clear()
    response = post(client, shop, query, variables)
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"]
    assert len(shop.rejected) == 1 and shop.calls[-1].outcome == "rejected"
    with pytest.raises(AssertionError, match="rejected"):
        shop.assert_no_rejections()
    shop.clear()


def test_a_connection_without_first_or_last_is_refused(shop: FakeShopify, client: httpx.Client) -> None:
    shop.clear()
    body = post(client, shop, '{ orders(query: "name:#1001") { nodes { id } } }').json()
    assert body["errors"][0]["message"] == "you must provide one of first or last"
    assert shop.rejected
    shop.clear()


def test_a_wrong_token_gets_401(shop: FakeShopify, client: httpx.Client) -> None:
    response = client.post(
        shop.admin_url, headers={"X-Shopify-Access-Token": "shpat_wrong"}, json={"query": "{ shop { name } }"}
    )
    assert response.status_code == 401
    assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    assert shop.calls[-1].outcome == "unauthorized"


def test_another_api_version_is_not_found(shop: FakeShopify, client: httpx.Client) -> None:
    url = shop.admin_url.replace("2026-07", "2024-01")
    assert client.post(url, headers=shop.headers, json={"query": "{ shop { name } }"}).status_code == 404


def test_shop_and_installed_scopes(shop: FakeShopify, client: httpx.Client) -> None:
    query = "{ shop { name myshopifyDomain currencyCode } currentAppInstallation { accessScopes { handle } } }"
    data = post(client, shop, query).json()["data"]
    assert data["shop"] == {
        "name": "Returnbot Demo",
        "myshopifyDomain": "returnbot-demo.myshopify.com",
        "currencyCode": "EUR",
    }
    assert {"handle": "read_all_orders"} in data["currentAppInstallation"]["accessScopes"]


def test_node_resolves_the_concrete_type(shop: FakeShopify, client: httpx.Client) -> None:
    query = "query N($id: ID!) { node(id: $id) { id __typename ... on Order { name } } }"
    data = post(client, shop, query, {"id": shop.order_gid(demo_orders()[2])}).json()["data"]
    assert data["node"]["__typename"] == "Order" and data["node"]["name"] == "#1003"


# --- search -----------------------------------------------------------------------------------------------------


def test_search_by_name_with_or_without_the_hash(shop: FakeShopify, client: httpx.Client) -> None:
    assert search(client, shop, "name:#1002") == ["#1002"]
    assert search(client, shop, "name:1002") == ["#1002"]
    assert search(client, shop, "name:'#1002' OR name:\"1003\"") == ["#1003", "#1002"]


def test_search_by_email_ignores_case(shop: FakeShopify, client: httpx.Client) -> None:
    assert search(client, shop, "email:Mikko.Jarvinen@Example.com") == ["#1017", "#1005"]


def test_search_by_customer_id_takes_the_numeric_id(shop: FakeShopify, client: httpx.Client) -> None:
    response = post(client, shop, CUSTOMER_SEARCH, {"query": "email:liisa.pold@example.com"})
    [customer] = response.json()["data"]["customers"]["nodes"]
    assert customer["numberOfOrders"] == "2"
    assert search(client, shop, f"customer_id:{customer['legacyResourceId']}") == ["#1018", "#1009"]


def test_free_text_folds_case_and_accents_and_matches_word_starts(shop: FakeShopify, client: httpx.Client) -> None:
    assert search(client, shop, "janis berzins") == ["#1024", "#1001"]
    assert search(client, shop, "Bērziņš") == ["#1024", "#1001"]
    assert search(client, shop, "'JĀNIS BĒRZ'") == ["#1024", "#1001"]
    assert search(client, shop, "soren jorgen") == ["#1003"]
    assert search(client, shop, "berz -name:#1001") == ["#1024"]
    assert search(client, shop, "anis") == []


def test_search_filters_on_status(shop: FakeShopify, client: httpx.Client) -> None:
    assert search(client, shop, "status:cancelled") == ["#1014", "#1007"]
    assert search(client, shop, "financial_status:pending") == ["#1022", "#1019"]
    assert search(client, shop, "fulfillment_status:partial") == ["#1018", "#1017"]
    assert search(client, shop, "status:open financial_status:paid fulfillment_status:unfulfilled") == [
        "#1024",
        "#1023",
        "#1021",
        "#1020",
    ]


def test_search_groups_and_compares_dates(shop: FakeShopify, client: httpx.Client) -> None:
    assert search(client, shop, "(name:#1001 OR name:#1002) OR (janis NOT name:#1024)") == ["#1002", "#1001"]
    assert search(client, shop, "created_at:>='2026-11-10' created_at:<'2026-11-18'") == ["#1022", "#1021", "#1020"]
    assert search(client, shop, "tag:returned sku:PO-KDJ-S-BLK") == ["#1004"]


def test_an_unknown_search_field_is_ignored_with_a_warning(shop: FakeShopify, client: httpx.Client) -> None:
    response = post(client, shop, ORDER_SEARCH, {"query": "colour:red name:#1001"})
    assert names(response) == ["#1001"]
    [warning] = response.json()["extensions"]["search"]
    assert warning["path"] == ["orders"] and warning["warnings"][0]["field"] == "colour"


def test_orders_sort_oldest_first_unless_reversed(shop: FakeShopify, client: httpx.Client) -> None:
    query = "query O($reverse: Boolean) { orders(first: 3, sortKey: CREATED_AT, reverse: $reverse) { nodes { name } } }"
    assert names(post(client, shop, query, {"reverse": False})) == ["#1001", "#1002", "#1003"]
    assert names(post(client, shop, query, {"reverse": True})) == ["#1024", "#1023", "#1022"]


def test_orders_count_counts_what_the_search_matches_up_to_its_limit(shop: FakeShopify, client: httpx.Client) -> None:
    count = "query C($q: String, $limit: Int) { ordersCount(query: $q, limit: $limit) { count precision } }"
    everything = len(search(client, shop, "", first=100))
    paid = len(search(client, shop, "financial_status:paid", first=100))

    def counted(variables: dict[str, Any]) -> dict[str, Any]:
        body = post(client, shop, count, variables).json()
        assert "errors" not in body, body
        return body["data"]["ordersCount"]

    assert 0 < paid < everything
    assert counted({"q": "financial_status:paid"}) == {"count": paid, "precision": "EXACT"}
    assert counted({}) == {"count": everything, "precision": "EXACT"}  # the default limit is 10,000
    assert counted({"q": "", "limit": 3}) == {"count": 3, "precision": "AT_LEAST"}
    assert counted({"q": "", "limit": None}) == {"count": everything, "precision": "EXACT"}


def test_customer_search(shop: FakeShopify, client: httpx.Client) -> None:
    def customers(query: str) -> list[str]:
        response = post(client, shop, CUSTOMER_SEARCH, {"query": query})
        return [c["displayName"] for c in response.json()["data"]["customers"]["nodes"]]

    assert customers("first_name:Janis last_name:Berzins") == ["Jānis Bērziņš"]
    assert customers("email:OIE.TAMM@example.com") == ["Õie Tamm"]
    assert customers("asa") == ["Åsa Lindström"]
    assert customers("lindstr") == ["Åsa Lindström"]
    assert customers("first_name:Nobody") == []
    query = CUSTOMER_ORDERS.replace("QUERY", "last_name:Järvinen")
    [mikko] = post(client, shop, query).json()["data"]["customers"]["nodes"]
    assert mikko["lastName"] == "Järvinen"
    assert [o["name"] for o in mikko["orders"]["nodes"]] == ["#1005", "#1017"]


# --- pagination -------------------------------------------------------------------------------------------------


def test_line_items_page_with_cursors(client: httpx.Client) -> None:
    order = make_order("#2001", items=5)
    query = """
    query Lines($id: ID!, $after: String) {
      order(id: $id) { lineItems(first: 2, after: $after) {
        pageInfo { hasNextPage endCursor } edges { cursor node { name } } nodes { name } } }
    }"""
    with FakeShopify([order], now=lambda: NOW) as fake:
        pages: list[list[str]] = []
        after = None
        while True:
            response = post(client, fake, query, {"id": fake.order_gid(order), "after": after})
            connection = response.json()["data"]["order"]["lineItems"]
            pages.append([n["name"] for n in connection["nodes"]])
            assert [e["node"]["name"] for e in connection["edges"]] == pages[-1]
            assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        fake.assert_no_rejections()
    assert pages == [["Item 1", "Item 2"], ["Item 3", "Item 4"], ["Item 5"]]


def test_orders_page_after_a_cursor(shop: FakeShopify, client: httpx.Client) -> None:
    query = """query Page($after: String) { orders(first: 10, after: $after, sortKey: CREATED_AT) {
      pageInfo { hasNextPage hasPreviousPage endCursor } nodes { name } } }"""
    seen: list[str] = []
    after = None
    for _ in range(5):
        connection = post(client, shop, query, {"after": after}).json()["data"]["orders"]
        seen += [n["name"] for n in connection["nodes"]]
        assert connection["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == [f"#{n}" for n in range(1001, 1025)]


def test_orders_page_backwards_with_last_and_before(shop: FakeShopify, client: httpx.Client) -> None:
    query = """query Back($before: String) { orders(last: 3, before: $before, sortKey: CREATED_AT) {
      pageInfo { hasPreviousPage startCursor } nodes { name } } }"""
    newest = post(client, shop, query).json()["data"]["orders"]
    assert [n["name"] for n in newest["nodes"]] == ["#1022", "#1023", "#1024"]
    assert newest["pageInfo"]["hasPreviousPage"]
    earlier = post(client, shop, query, {"before": newest["pageInfo"]["startCursor"]}).json()["data"]["orders"]
    assert [n["name"] for n in earlier["nodes"]] == ["#1019", "#1020", "#1021"]


def test_a_cursor_shopify_did_not_make_is_an_error(shop: FakeShopify, client: httpx.Client) -> None:
    body = post(client, shop, '{ orders(first: 3, after: "garbage") { nodes { name } } }').json()
    assert "Invalid cursor" in body["errors"][0]["message"]
    assert shop.rejected
    shop.clear()


# --- the 60-day window and access scopes ------------------------------------------------------------------------


def test_without_read_all_orders_only_the_last_60_days_are_visible(client: httpx.Client) -> None:
    scopes = ("read_orders", "read_customers")
    old = demo_orders()[0]  # #1001, 2026-09-01: older than 60 days on NOW
    with FakeShopify(demo_orders(), scopes=scopes, now=lambda: NOW) as fake:
        visible = search(client, fake, "", first=50)
        assert "#1001" not in visible and "#1009" in visible  # 2026-10-01 is within the window
        assert search(client, fake, "name:#1001") == []
        assert post(client, fake, ORDER_BY_ID, {"id": fake.order_gid(old)}).json()["data"] == {"order": None}
        query = CUSTOMER_ORDERS.replace("QUERY", "email:janis.berzins@example.com")
        [janis] = post(client, fake, query).json()["data"]["customers"]["nodes"]
        assert [o["name"] for o in janis["orders"]["nodes"]] == ["#1024"]
        fake.assert_no_rejections()
    with FakeShopify(demo_orders(), now=lambda: NOW) as fake:
        assert len(search(client, fake, "", first=50)) == 24
        assert post(client, fake, ORDER_BY_ID, {"id": fake.order_gid(old)}).json()["data"]["order"]["name"] == "#1001"


def test_customers_without_read_customers_is_access_denied(client: httpx.Client) -> None:
    with FakeShopify(demo_orders(), scopes=("read_orders", "read_all_orders"), now=lambda: NOW) as fake:
        body = post(client, fake, CUSTOMER_SEARCH, {"query": "asa"}).json()
        assert body["data"] is None
        [error] = body["errors"]
        assert error["message"] == "Access denied for customers field. Required access: `read_customers` access scope."
        assert error["path"] == ["customers"]
        assert error["extensions"] == {
            "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes",
            "requiredAccess": "`read_customers` access scope.",
        }
        assert body["extensions"]["cost"]["throttleStatus"]
        order = post(client, fake, ORDER_BY_ID, {"id": fake.order_gid(demo_orders()[0])}).json()
        assert order["data"]["order"]["customer"] is None
        assert order["errors"][0]["path"] == ["order", "customer"]
        fake.assert_no_rejections()  # denied access is an answer, not a broken request


def test_orders_without_read_orders_is_access_denied(client: httpx.Client) -> None:
    with FakeShopify(demo_orders(), scopes=("read_customers",), now=lambda: NOW) as fake:
        body = post(client, fake, ORDER_SEARCH, {"query": "name:#1001"}).json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
        assert "`read_orders` access scope" in body["errors"][0]["extensions"]["requiredAccess"]
    with FakeShopify(
        demo_orders(), scopes=("write_orders", "read_all_orders", "read_customers"), now=lambda: NOW
    ) as fake:
        assert search(client, fake, "name:#1001") == ["#1001"]  # write access includes read access


# --- cost and throttling ----------------------------------------------------------------------------------------

# requested 2 + 25 × (1 + 1) = 52; actual 2 + 24 × 2 = 50 for the 24 demo orders, each with a customer
EXPENSIVE = "query Expensive { orders(first: 25) { nodes { id customer { id } } } }"


def test_a_burst_is_throttled_and_succeeds_after_the_computed_wait(client: httpx.Client) -> None:
    seconds = [0.0]  # the bucket's clock: moved, never waited for
    with FakeShopify(
        demo_orders(), bucket_max=100, restore_rate=10, now=lambda: NOW, bucket_clock=lambda: seconds[0]
    ) as fake:
        throttled = None
        for _ in range(5):
            body = post(client, fake, EXPENSIVE).json()
            if "data" not in body:
                throttled = body
                break
            assert body["extensions"]["cost"]["requestedQueryCost"] == 52
        assert throttled is not None, "a burst of 52-point queries on a 100-point bucket must be throttled"
        assert throttled["errors"] == [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ]
        cost = throttled["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 52 and cost["actualQueryCost"] is None
        status = cost["throttleStatus"]
        assert status["maximumAvailable"] == 100 and status["restoreRate"] == 10
        assert status["currentlyAvailable"] < 52
        assert fake.throttled == 1 and fake.calls[-1].outcome == "throttled"
        seconds[0] += (cost["requestedQueryCost"] - status["currentlyAvailable"]) / status["restoreRate"]
        retried = post(client, fake, EXPENSIVE).json()
        assert len(retried["data"]["orders"]["nodes"]) == 24
        fake.assert_no_rejections()


def test_the_actual_cost_is_refunded(client: httpx.Client) -> None:
    with FakeShopify(demo_orders(), restore_rate=0.001, now=lambda: NOW) as fake:
        body = post(client, fake, ORDER_SEARCH, {"query": "name:#1001", "first": 50}).json()
        cost = body["extensions"]["cost"]
        assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (202, 6)
        assert 1000 - 6 - 1 <= cost["throttleStatus"]["currentlyAvailable"] <= 1000 - 6


def test_a_query_above_the_single_query_limit_is_refused(shop: FakeShopify, client: httpx.Client) -> None:
    shop.clear()
    query = "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }"
    body = post(client, shop, query).json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2 + 250 * (1 + 2 + 250)
    shop.clear()


# --- faults -----------------------------------------------------------------------------------------------------


@pytest.fixture
def fresh() -> Iterator[FakeShopify]:
    with FakeShopify(demo_orders(), now=lambda: NOW) as fake:
        yield fake


SHOP_NAME = "query ShopName { shop { name } }"


@pytest.mark.parametrize("kind", ["429", "503"])
def test_429_and_503_carry_retry_after(fresh: FakeShopify, client: httpx.Client, kind: str) -> None:
    fresh.fail_next(kind, retry_after=2.5)
    response = post(client, fresh, SHOP_NAME)
    assert response.status_code == int(kind)
    assert response.headers["Retry-After"] == "2.5"
    if kind == "429":
        assert response.json()["errors"].startswith("Exceeded 2 calls per second for api client.")
    assert post(client, fresh, SHOP_NAME).json()["data"]["shop"]["name"] == "Returnbot Demo"
    assert [c.status for c in fresh.calls_named("ShopName")] == [int(kind), 200]


def test_5xx_html_and_bad_shapes(fresh: FakeShopify, client: httpx.Client) -> None:
    fresh.fail_next("500")
    fresh.fail_next("502_html")
    fresh.fail_next("bad_shape")
    assert post(client, fresh, SHOP_NAME).status_code == 500
    html = post(client, fresh, SHOP_NAME)
    assert html.status_code == 502 and html.headers["Content-Type"].startswith("text/html")
    assert "<html>" in html.text
    shape = post(client, fresh, SHOP_NAME)
    assert shape.status_code == 200 and shape.json() == {"unexpected": True}
    assert post(client, fresh, SHOP_NAME).json()["data"]["shop"]["name"] == "Returnbot Demo"


def test_repeated_faults(fresh: FakeShopify, client: httpx.Client) -> None:
    fresh.fail_next("503", times=2, retry_after=None)
    statuses = [post(client, fresh, SHOP_NAME).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    with pytest.raises(ValueError, match="unknown fault"):
        fresh.fail_next("418")


def test_a_slow_answer_times_out_the_client(fresh: FakeShopify, client: httpx.Client) -> None:
    fresh.timeout_seconds = 0.5
    fresh.fail_next("timeout")
    with pytest.raises(httpx.ReadTimeout):
        client.post(fresh.admin_url, headers=fresh.headers, json={"query": SHOP_NAME}, timeout=0.1)
    assert post(client, fresh, SHOP_NAME).status_code == 200


def test_latency_applies_to_every_call(fresh: FakeShopify, client: httpx.Client) -> None:
    fresh.delay(0.3)
    with pytest.raises(httpx.ReadTimeout):
        client.post(fresh.admin_url, headers=fresh.headers, json={"query": SHOP_NAME}, timeout=0.05)
    fresh.delay(0)
    assert post(client, fresh, SHOP_NAME).status_code == 200


def test_a_dropped_connection(fresh: FakeShopify, client: httpx.Client) -> None:
    fresh.fail_next("drop")
    with pytest.raises(httpx.TransportError):
        post(client, fresh, SHOP_NAME)
    assert fresh.calls[-1].status == 0
    assert post(client, fresh, SHOP_NAME).status_code == 200


TAGS_ADD = """mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id ... on Order { tags } } userErrors { field message } } }"""


def add_tags(fake: FakeShopify) -> None:
    def tags_add(args: dict[str, Any], _directives: dict[str, dict[str, Any]]) -> dict[str, Any]:
        order = fake.find(args["id"])
        assert order is not None
        order["tags"] = sorted(set(order["tags"]) | set(args["tags"]))
        return {"node": order, "userErrors": []}

    fake.mutations["tagsAdd"] = tags_add


def test_a_mutation_applied_before_the_connection_drops(fresh: FakeShopify, client: httpx.Client) -> None:
    add_tags(fresh)
    order_id = fresh.order_gid(demo_orders()[1])
    fresh.fail_next("apply_then_drop")
    with pytest.raises(httpx.TransportError):
        post(client, fresh, TAGS_ADD, {"id": order_id, "tags": ["cs-handled"]})
    body = post(client, fresh, "query T($id: ID!) { order(id: $id) { tags } }", {"id": order_id}).json()
    assert body["data"]["order"]["tags"] == ["cs-handled"]
    assert [c.outcome for c in fresh.calls_named("TagsAdd")] == ["apply_then_drop"]
    fresh.assert_no_rejections()


# --- mutations and call recording -------------------------------------------------------------------------------


def test_calls_record_variables_and_directives(fresh: FakeShopify, client: httpx.Client) -> None:
    [(_, document, variables, cost)] = [b for b in reference_blocks() if b[0] == "RefundCreate"]
    received: list[tuple[dict, dict]] = []

    def refund_create(args: dict[str, Any], directives: dict[str, dict[str, Any]]) -> dict[str, Any]:
        received.append((args, directives))
        refund: dict[str, Any] = {
            "id": "gid://shopify/Refund/1",
            "createdAt": "2026-11-22T12:00:00Z",
            "note": args["input"]["note"],
            "totalRefundedSet": money_bag(Money.parse(args["input"]["transactions"][0]["amount"], "EUR")),
            "_transactions": [],
        }
        refund["transactions"] = connection_of(refund, "_transactions")
        return {"refund": refund, "order": fresh.find(args["input"]["orderId"]), "userErrors": []}

    fresh.mutations["refundCreate"] = refund_create
    order_id = fresh.order_gid(demo_orders()[0])
    variables = {**variables, "input": {**variables["input"], "orderId": order_id}}
    body = post(client, fresh, document, variables).json()
    assert body["data"]["refundCreate"]["refund"]["note"] == "Refund approved by @lead in Slack"
    assert body["data"]["refundCreate"]["order"]["id"] == order_id
    assert body["extensions"]["cost"]["requestedQueryCost"] == cost
    [(args, directives)] = received
    assert args["input"]["transactions"][0]["kind"] == "REFUND"
    assert directives == {"idempotent": {"key": "3f1c2b9e-8d4e-4f7a-9a51-6b1d2c3e4f5a"}}
    [call] = fresh.calls_named("RefundCreate")
    assert call.variables == variables
    assert call.directives == {"idempotent": {"key": "3f1c2b9e-8d4e-4f7a-9a51-6b1d2c3e4f5a"}}
    assert (call.status, call.outcome, call.requested_cost) == (200, "ok", cost)
    fresh.assert_no_rejections()


def test_refund_create_without_an_idempotency_key_fails(fresh: FakeShopify, client: httpx.Client) -> None:
    document = 'mutation R { refundCreate(input: {orderId: "gid://shopify/Order/1000000"}) { refund { id } } }'
    body = post(client, fresh, document).json()
    assert "data" not in body and "@idempotent" in body["errors"][0]["message"]
    assert fresh.rejected


def test_an_unregistered_mutation_answers_null_and_is_reported(fresh: FakeShopify, client: httpx.Client) -> None:
    body = post(
        client, fresh, 'mutation { tagsRemove(id: "gid://shopify/Order/1000000", tags: ["x"]) { node { id } } }'
    ).json()
    assert body["data"] == {"tagsRemove": None}
    assert any("Mutation.tagsRemove" in r for r in fresh.rejected)


def test_concurrent_calls_are_all_recorded(fresh: FakeShopify) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with httpx.Client(timeout=5) as c:
                for _ in range(5):
                    assert post(c, fresh, SHOP_NAME).status_code == 200
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(fresh.calls_named("ShopName")) == 30
    fresh.clear()
    assert fresh.calls == []


def test_demo_orders_come_from_the_local_store() -> None:
    orders = demo_orders()
    assert [o.name for o in orders] == [f"#{n}" for n in range(1001, 1025)]
    assert orders is not demo_orders()  # a fresh list each time, the orders themselves are shared and frozen
