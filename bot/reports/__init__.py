"""Reports in Slack: `/report` posts the sales summary (the same as `returnbot report sales`) for team leads."""
