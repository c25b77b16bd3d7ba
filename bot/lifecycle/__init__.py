"""A return after its label, in Slack: reminders, the escalation, expiry and the daily digest posted by the
scheduler's tick (`notifier`), the buttons on them (`handlers`, work in `flow`), the "Mark received" form
(`receipt`), the messages (`views`) and the Home tab (`home`)."""
