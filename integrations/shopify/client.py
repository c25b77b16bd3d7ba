"""A GraphQL client for the Shopify Admin API over httpx: paced, retried, and honest about failures.

Retries, in order of what Shopify answers:
- `THROTTLED` (HTTP 200): wait (requested − available) / restoreRate, send the same request again;
- 429 / 503: honour `Retry-After`, with jitter;
- other 5xx, an HTML error page, connection errors and timeouts: capped exponential backoff for
  queries; a mutation only when that is safe (an `@idempotent` key, or a read showing that the first
  attempt did not happen);
- everything within one time budget per call, after which the agent is told Shopify is not answering.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from integrations.http_answers import json_body, retry_after
from integrations.shopify.documents import Document
from integrations.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyProtocolError,
    ShopifyUnavailable,
    from_graphql_errors,
)
from integrations.shopify.throttle import CostBucket

log = logging.getLogger(__name__)

USER_AGENT = "returnbot/0.1 (+Slack support bot)"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class _Retry(Exception):
    """Try again after `wait` seconds (None: back off); `error` is what the agent hears if time runs out."""

    def __init__(self, wait: float | None, error: ShopifyError, *, applied_unknown: bool = False) -> None:
        self.wait = wait
        self.error = error
        self.applied_unknown = applied_unknown  # the request may have reached Shopify


@dataclass
class RetryPolicy:
    budget_seconds: float = 20.0
    base_backoff: float = 0.25
    max_backoff: float = 4.0
    jitter: float = 0.1  # fraction of each wait added at random, so retrying instances spread out


@dataclass
class CallStats:
    requests: int = 0
    throttled: int = 0
    retries: int = 0
    last_cost: dict[str, Any] = field(default_factory=dict)


class ShopifyClient:
    def __init__(
        self,
        endpoint: str,
        access_token: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        bucket: CostBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`sleep` and `clock` are time as the client sees it (waits, the retry budget, the bucket's refill):
        a test passes its own pair to make waiting an event instead of wall time."""
        self.endpoint = endpoint
        self.policy = policy or RetryPolicy()
        self.bucket = bucket or CostBucket(clock)
        self.stats = CallStats()
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            timeout=timeout,
            headers={"X-Shopify-Access-Token": access_token, "User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=10),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def query(self, doc: Document, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a query; raises a ShopifyError fit to show an agent."""
        if doc.is_mutation:
            raise ValueError(f"{doc.name} is a mutation: use mutate()")
        return self._execute(doc, variables or {}, safe_to_retry=lambda: True)

    def mutate(
        self,
        doc: Document,
        variables: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        not_applied: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        """Run a mutation. After an attempt whose fate is unknown (timeout, dropped connection, 5xx) it
        is sent again only with an idempotency key (`@idempotent(key: $idempotencyKey)` in the
        document), or when `not_applied()` reads Shopify and shows the first attempt did not happen."""
        if not doc.is_mutation:
            raise ValueError(f"{doc.name} is not a mutation")
        if idempotency_key is not None:
            if "@idempotent" not in doc.text:
                raise ValueError(f"{doc.name} has no @idempotent directive for its key")
            variables = {**variables, "idempotencyKey": idempotency_key}
        safe = (lambda: True) if idempotency_key else (not_applied or (lambda: False))
        return self._execute(doc, variables, safe_to_retry=safe)

    # -- one call, with retries ---------------------------------------------------------------------------

    def _execute(self, doc: Document, variables: dict[str, Any], safe_to_retry: Callable[[], bool]) -> dict[str, Any]:
        deadline = self._clock() + self.policy.budget_seconds
        attempt = 0
        while True:
            self._sleep(self.bucket.reserve(doc.name))
            try:
                return self._attempt(doc, variables)
            except _Retry as retry:
                attempt += 1
                if retry.applied_unknown and not safe_to_retry():
                    raise retry.error from None
                base = retry.wait if retry.wait is not None else self._backoff(attempt)
                wait = base * (1 + random.uniform(0, self.policy.jitter))
                if self._clock() + wait > deadline:
                    raise retry.error from None
                self.stats.retries += 1
                log.info("shopify %s: retrying in %.2fs (%s)", doc.name, wait, retry.error)
                self._sleep(wait)

    def _backoff(self, attempt: int) -> float:
        return min(self.policy.max_backoff, self.policy.base_backoff * 2.0 ** (attempt - 1))

    def _attempt(self, doc: Document, variables: dict[str, Any]) -> dict[str, Any]:
        body = {"query": doc.text, "variables": variables, "operationName": doc.name}
        self.stats.requests += 1
        try:
            response = self._http.post(self.endpoint, json=body)
        except httpx.TimeoutException:
            raise _Retry(
                None,
                ShopifyUnavailable("Shopify did not answer in time. Try again in a moment."),
                applied_unknown=True,
            ) from None
        except httpx.TransportError as exc:
            raise _Retry(
                None,
                ShopifyUnavailable(f"Could not reach Shopify ({type(exc).__name__}). Try again in a moment."),
                applied_unknown=not isinstance(exc, httpx.ConnectError),
            ) from None
        return self._read(doc, response)

    def _read(self, doc: Document, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status in (429, 503):
            wait = retry_after(response)
            busy = "rate-limiting the bot" if status == 429 else "temporarily unavailable"
            raise _Retry(wait, ShopifyUnavailable(f"Shopify is {busy}. Try again in a moment."))
        if status == 401:
            raise ShopifyAuthError("Shopify refused the access token (HTTP 401): check SHOPIFY_ACCESS_TOKEN.")
        if status in (402, 403, 423):
            raise ShopifyAuthError(_shop_unavailable(status))
        if status == 404:
            raise ShopifyAuthError(
                "Shopify has no Admin API at this address (HTTP 404): check SHOPIFY_SHOP and SHOPIFY_API_VERSION."
            )
        payload = json_body(response, unlabelled_is_json=True)
        if status >= 500 or payload is None:
            kind = "an error page" if payload is None else f"an error (HTTP {status})"
            raise _Retry(
                None,
                ShopifyUnavailable(f"Shopify answered with {kind}. Try again in a moment."),
                applied_unknown=doc.is_mutation,
            )
        if status != 200 or not isinstance(payload, dict) or not ({"data", "errors"} & payload.keys()):
            raise ShopifyProtocolError(f"Shopify answered in an unexpected shape (HTTP {status}). Try again later.")
        cost = (payload.get("extensions") or {}).get("cost")
        self.stats.last_cost = cost or {}
        errors = payload.get("errors")
        if isinstance(errors, list) and any(_code(e) == "THROTTLED" for e in errors):
            self.stats.throttled += 1
            self.bucket.observe(doc.name, cost)
            raise _Retry(
                self.bucket.throttled_wait(cost), ShopifyUnavailable("Shopify is busy. Try again in a moment.")
            )
        self.bucket.observe(doc.name, cost)
        if errors:
            raise from_graphql_errors(errors if isinstance(errors, list) else [{"message": str(errors)}])
        data = payload.get("data")
        if not isinstance(data, dict):
            raise ShopifyProtocolError("Shopify answered without data. Try again later.")
        return data


def _code(error: object) -> str:
    return str(((error or {}).get("extensions") or {}).get("code", "")) if isinstance(error, dict) else ""




def _shop_unavailable(status: int) -> str:
    reason = {
        402: "the shop's plan is frozen or unpaid",
        403: "the app may not access this shop",
        423: "the shop is locked",
    }
    return f"Shopify refused the request (HTTP {status}): {reason[status]}."
