"""Reading an HTTP API's answer the same way in every adapter (Shopify, the carriers): its JSON body, if it has
one, and how long it asks us to wait."""

from __future__ import annotations

from typing import Any

import httpx


def json_body(response: httpx.Response, *, unlabelled_is_json: bool = False) -> Any:
    """The parsed JSON body; None when the answer is not JSON (an HTML error page from a proxy, say).
    `unlabelled_is_json`: an answer without a content type is read as JSON (Shopify's are, even when a proxy
    dropped the header)."""
    content_type = response.headers.get("content-type", "json" if unlabelled_is_json else "")
    if "json" not in content_type:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def retry_after(response: httpx.Response) -> float | None:
    """The seconds of a `Retry-After` header (never negative); None when there is none or it is not a number."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None
