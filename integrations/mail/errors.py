"""The one error type of the mail integration; its message is shown to a support agent as is."""

from __future__ import annotations


class MailError(Exception):
    """Sending or storing an e-mail failed.

    `temporary` tells the caller whether the same message may succeed later (the server was unreachable
    or answered 4xx) or needs someone to fix something first (bad address, wrong password, 5xx).
    """

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


NO_VALID_ADDRESS = "the order has no valid e-mail address"
