"""`returnbot shell`: a small Slack client in the terminal, driving the same Bolt app."""
