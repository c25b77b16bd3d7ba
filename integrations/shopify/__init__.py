"""Shopify Admin GraphQL: the client, the documents it may send, and the store built on them."""
