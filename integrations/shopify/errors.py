"""Shopify failures as typed errors whose message a support agent can read and act on."""

from __future__ import annotations

import re
from typing import Any

from domain.store import StoreError


class ShopifyError(StoreError):
    """Any failure talking to Shopify."""


class ShopifyAuthError(ShopifyError):
    """The access token was refused (401) or the shop is not reachable for this app (402/403/423)."""


class ShopifyAccessDenied(ShopifyError):
    """The app lacks an access scope a field needs."""

    def __init__(self, message: str, scope: str | None) -> None:
        super().__init__(message)
        self.scope = scope


class ShopifyUnavailable(ShopifyError):
    """Shopify did not answer usably in time (timeouts, 5xx, throttling beyond the time budget)."""


class ShopifyProtocolError(ShopifyError):
    """Shopify answered something that is not a GraphQL response we understand."""


class ShopifyQueryError(ShopifyError):
    """Shopify rejected the document itself: a bug in the bot, never the agent's fault."""


class ShopifyNotFound(ShopifyError):
    pass


class ShopifyInvalidState(ShopifyError):
    """A mutation's userErrors: the order is not in a state that allows it."""


_SCOPE = re.compile(r"`(\w+)` access scope")


def access_denied(error: dict[str, Any]) -> ShopifyAccessDenied:
    extensions = error.get("extensions") or {}
    required = str(extensions.get("requiredAccess") or error.get("message") or "")
    match = _SCOPE.search(required)
    scope = match.group(1) if match else None
    field = "/".join(str(p) for p in error.get("path") or []) or "this data"
    what = f"the `{scope}` access scope" if scope else "an access scope"
    return ShopifyAccessDenied(
        f"Shopify denied access to {field}: the app needs {what}. "
        "Add it in the Shopify app's configuration and reinstall the app.",
        scope,
    )


def from_graphql_errors(errors: list[dict[str, Any]]) -> ShopifyError:
    """The most telling error of a response's top-level `errors`."""
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if code == "ACCESS_DENIED":
            return access_denied(error)
    first = errors[0] if errors else {}
    code = (first.get("extensions") or {}).get("code", "")
    message = str(first.get("message", "unknown error"))[:300]
    if code in ("NOT_FOUND",):
        return ShopifyNotFound(f"Shopify could not find that: {message}")
    if code in ("INTERNAL_SERVER_ERROR",):
        return ShopifyUnavailable(f"Shopify had an internal error ({message}). Try again in a moment.")
    return ShopifyQueryError(
        f"Shopify rejected the bot's request ({code or 'error'}: {message}). This is a bug in the bot."
    )


def from_user_errors(user_errors: list[dict[str, Any]], action: str) -> ShopifyError:
    """A mutation's `userErrors`, in words."""
    messages = (
        "; ".join(str(e.get("message", "")).strip() for e in user_errors if e.get("message")) or "no reason given"
    )
    codes = {str(e.get("code", "")).upper() for e in user_errors}
    if "NOT_FOUND" in codes:
        return ShopifyNotFound(f"Shopify could not {action}: {messages}")
    return ShopifyInvalidState(f"Shopify would not {action}: {messages}")
