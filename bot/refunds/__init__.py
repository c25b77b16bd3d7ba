"""Refunds in Slack: the refund modal, `/refund`, approvals in the approvals channel, retries."""
