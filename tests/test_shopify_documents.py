"""Every GraphQL document the bot can send validates against the pinned Admin schema (2026-07)."""

from __future__ import annotations

import re

import pytest

from integrations.shopify.documents import all_documents
from integrations.shopify.standin.schema import validate_document

DOCUMENTS = all_documents()


def test_the_documents_are_there() -> None:
    assert {"OrderSearch", "CustomerSearch", "OrderDetail", "OrderLineItemsPage", "ReturnState", "ShopInfo"} <= set(
        DOCUMENTS
    )


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_and_uses_nothing_deprecated(name: str) -> None:
    assert validate_document(DOCUMENTS[name].text) == []


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_refunds_always_carry_an_idempotency_key(name: str) -> None:
    # Shopify requires @idempotent on refundCreate at run time although the schema does not say so
    text = DOCUMENTS[name].text
    if "refundCreate" in text:
        assert re.search(r"refundCreate\([^)]*\)\s*@idempotent\(key:\s*\$idempotencyKey\)", text)


def test_the_validator_rejects_what_shopify_rejects() -> None:
    assert validate_document("query { orders(first: 1) { nodes { totalRefundableSet { shopMoney { amount } } } } }")
    assert validate_document("query { customers(first: 1) { nodes { email } } }")  # deprecated field
