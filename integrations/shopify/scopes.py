"""The Shopify access scopes the bot's features need (doctor checks the granted ones against these)."""

from __future__ import annotations

REQUIRED = {
    "read_orders": "look up orders",
    "read_customers": "find orders by customer name",
    "write_orders": "refund orders",
}
OPTIONAL = {
    "read_all_orders": "find orders older than 60 days",
    "write_draft_orders": "send replacements (draft orders at no cost)",
    "read_products": "choose another variant for a replacement",
}
