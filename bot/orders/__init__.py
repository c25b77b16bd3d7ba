"""`/order`, the pick list and the order card."""
