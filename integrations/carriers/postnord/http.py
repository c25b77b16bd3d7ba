"""PostNord over httpx: the API key added where nobody logs it, and every failure put into words.

PostNord authenticates each call by an `apikey` query parameter, so the key is part of the URL, and URLs end
up in logs (httpx logs every request at INFO) and in exception texts. The key is therefore added by the
transport, below the client: the request httpx logs and raises errors about is the one without it, and this
module never puts a URL, an exception's text or a response body into a message or a log line.

Retries: a read (tracking, service points, a label by id) is asked again after a 429 or 503 (as long as
`Retry-After` allows within the budget); a booking never is: whether to book again is the workflow's decision
(`CarrierError.maybe_booked`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from domain.carrier import CarrierError
from integrations.carriers.postnord import answers
from integrations.http_answers import json_body, retry_after

log = logging.getLogger(__name__)

USER_AGENT = "returnbot/0.1 (+Slack support bot)"
KEY_PARAMETER = "apikey"
READ_BUDGET_SECONDS = 6.0  # a read asked again after 429 / 503 gives up after this long


class KeyedTransport(httpx.BaseTransport):
    """Adds the API key to each request's query as it leaves, after httpx has seen (and logged) it."""

    def __init__(self, api_key: str, inner: httpx.BaseTransport | None = None) -> None:
        self._key = api_key
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        keyed = httpx.Request(
            request.method,
            request.url.copy_merge_params({KEY_PARAMETER: self._key}),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return self._inner.handle_request(keyed)

    def close(self) -> None:
        self._inner.close()


class PostNordHttp:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`transport` is what carries the keyed requests (tests pass a mock or a counting one); `sleep` and
        `clock` are time as the retries see it."""
        self.base_url = base_url.rstrip("/")
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=KeyedTransport(api_key, transport),
        )

    def close(self) -> None:
        self._http.close()

    def book(self, path: str, params: Mapping[str, str], body: Mapping[str, Any]) -> Any:
        """POST a booking once. A failure after the request may have arrived says `maybe_booked`."""
        try:
            return self._send("POST", path, params, body, booking=True)
        except _Busy as busy:
            raise busy.error from None  # turned away at the door: nothing was booked

    def post(self, path: str, params: Mapping[str, str], body: Any) -> Any:
        """POST that books nothing (a label reprint, a validation): asked again like a read."""
        return self._read("POST", path, params, body)

    def get(self, path: str, params: Mapping[str, str]) -> Any:
        return self._read("GET", path, params, None)

    def _read(self, method: str, path: str, params: Mapping[str, str], body: Any) -> Any:
        deadline = self._clock() + READ_BUDGET_SECONDS
        attempt = 0
        while True:
            try:
                return self._send(method, path, params, body, booking=False)
            except _Busy as busy:
                attempt += 1
                wait = busy.wait if busy.wait is not None else min(2.0, 0.25 * 2 ** (attempt - 1))
                wait *= 1 + random.uniform(0, 0.1)  # instances retrying together spread out
                if attempt >= 3 or self._clock() + wait > deadline:
                    raise busy.error from None
                log.info("postnord %s %s: asking again in %.2fs (HTTP %s)", method, path, wait, busy.status)
                self._sleep(wait)

    def _send(self, method: str, path: str, params: Mapping[str, str], body: Any, *, booking: bool) -> Any:
        try:
            response = self._http.request(method, path, params=dict(params), json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout):  # nothing was sent
            raise CarrierError("PostNord could not be reached. Try again in a moment.", retryable=True) from None
        except httpx.TimeoutException:
            raise _unanswered("PostNord did not answer in time.", booking) from None
        except httpx.TransportError:
            raise _unanswered("The connection to PostNord broke off.", booking) from None
        log.debug("postnord %s %s: HTTP %s", method, path, response.status_code)
        return self._read_answer(response, booking)

    def _read_answer(self, response: httpx.Response, booking: bool) -> Any:
        status = response.status_code
        body = json_body(response)
        if status in (401, 403):
            raise KeyRefused(status)
        if status == 429:
            raise _Busy(status, retry_after(response), "PostNord is rate-limiting the bot. Try again in a moment.")
        if status == 503:
            raise _Busy(status, retry_after(response), "PostNord is temporarily unavailable. Try again in a moment.")
        if status >= 500:
            raise _unanswered(f"PostNord answered with an error (HTTP {status}).", booking)
        if status == 404:
            raise CarrierError(
                "PostNord has no such service at the configured address (HTTP 404): "
                "ask an administrator to check POSTNORD_API_URL."
            )
        if status >= 400:
            raise answers.refused(body)
        if body is None:
            raise _unanswered("PostNord answered in a shape the bot cannot read.", booking)
        return body


class KeyRefused(CarrierError):
    """PostNord does not accept the API key (401 / 403): nothing works until an administrator changes it."""

    def __init__(self, status: int) -> None:
        super().__init__(
            f"PostNord refused the API key (HTTP {status}): ask an administrator to check POSTNORD_API_KEY."
        )
        self.status = status


class _Busy(CarrierError):
    """429 / 503: nothing was done; a read may ask again after `wait` seconds."""

    def __init__(self, status: int, wait: float | None, message: str) -> None:
        super().__init__(message, retryable=True)
        self.status = status
        self.wait = wait

    @property
    def error(self) -> CarrierError:
        return CarrierError(self.message, retryable=True)


def _unanswered(what: str, booking: bool) -> CarrierError:
    if not booking:
        return CarrierError(f"{what} Try again in a moment.", retryable=True)
    return CarrierError(
        f"{what} The return may have been booked all the same: check before booking it again.",
        retryable=True,
        maybe_booked=True,
    )
