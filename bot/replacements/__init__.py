"""Replacements in Slack: the card's Replace button, `/replace <order>`, the modal with its variant picker, and the
words of replacement requests in the approvals channel and the order's thread."""
