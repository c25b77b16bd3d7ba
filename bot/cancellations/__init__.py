"""Cancelling an order from Slack: the card's Cancel order (and Cancel as fraud), `/cancel-order`, the modal, and
what the thread is told."""
