"""Return labels in Slack: `handlers` (thin listeners), `flow` (the work on the worker pool), `form` (modal
metadata and submissions), `modals` and `views` (Block Kit, pure functions)."""
