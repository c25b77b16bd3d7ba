"""A stand-in for Shopify's Admin GraphQL API on 127.0.0.1, for the tests and the benchmarks.

It rejects any document the pinned schema rejects, prices queries as Shopify does, and can throttle,
answer 429/5xx or time out on demand. Needs the test extras (graphql-core).
"""
