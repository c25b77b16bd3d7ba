"""What every Slack feature shares: the context handed to handlers, ids, Block Kit helpers, the worker pool."""
