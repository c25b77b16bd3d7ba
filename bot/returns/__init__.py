"""Return labels in Slack: the card's "Create return" menu, the return modal, `/return`, `/returns`."""
