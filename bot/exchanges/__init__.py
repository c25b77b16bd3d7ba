"""Exchanges in Slack: the return message's "Ship exchange now" for team leads (an advance exchange). The exchange
is chosen in the return form (bot.returns) and shipped at receipt (bot.lifecycle tells the thread)."""
