"""Sign requests the way Slack does, so they pass Bolt's request verification."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers for POSTing `body` to the app as Slack would; pass an old `timestamp` to test replay rejection."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "Content-Type": FORM_CONTENT_TYPE,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(signature),
    }
