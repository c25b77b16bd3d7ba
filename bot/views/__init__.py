"""Block Kit builders: plain functions from domain values to Slack JSON. No I/O here."""
