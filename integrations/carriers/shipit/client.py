"""Shipit's HTTP API over httpx: the key in a header, the checksum variant, and every failure in an agent's words.

Shipit publishes no API reference; the shapes follow the open-source clients (see the carriers reference):
JSON both ways, `X-SHIPIT-KEY: <key>` on every call, and success said in the body (`status: 1`) rather than by
the HTTP status. Accounts made for older integrations also sign the body: `X-SHIPIT-CHECKSUM` is the SHA-512 of
the JSON body followed by the API secret (hex), sent when a secret is configured.

Nothing here retries on its own: a booking is not idempotent at Shipit, so the workflow decides (after looking
the booking up by its reference), and the other calls are cheap to ask again at the next Retry or tick.
The key never appears in an error message or a log line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from domain.carrier import CarrierError

log = logging.getLogger(__name__)

PRODUCTION_URL = "https://api.shipit.ax/v1"
TEST_URL = "https://apitest.shipit.ax/v1"  # Shipit's test host: same API, test keys, no real parcels
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
MAX_LABEL_BYTES = 10_000_000  # a label PDF is tens of kilobytes; anything near this is not a label

KEY_SETTING = "SHIPIT_API_KEY"


class ShipitClient:
    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        api_secret: str = "",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._key = api_key
        self._secret = api_secret
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "returnbot"},
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=10),
        )

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, booking: bool = False,
             params: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
        """One API call; the decoded body of an answer with `status: 1` (or without a status). `booking`: the
        call books something, so an answer that never came may mean it was booked (CarrierError.maybe_booked)."""
        content = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        headers = {"X-SHIPIT-KEY": self._key}
        if content is not None:
            headers["Content-Type"] = "application/json"
            if self._secret:
                headers["X-SHIPIT-CHECKSUM"] = hashlib.sha512(content + self._secret.encode()).hexdigest()
        try:
            response = self._http.request(method, self.api_url + path, content=content, headers=headers, params=params)
        except httpx.ConnectError:
            raise CarrierError(
                "Shipit could not be reached (no connection). Try again in a moment.", retryable=True
            ) from None
        except httpx.TimeoutException as exc:
            sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            raise CarrierError(
                "Shipit did not answer in time." + (" The booking may have been made." if booking and sent else "")
                + " Try again in a moment.",
                retryable=True, maybe_booked=booking and sent,
            ) from None  # fmt: skip
        except httpx.TransportError:
            raise CarrierError(
                "The connection to Shipit broke off." + (" The booking may have been made." if booking else "")
                + " Try again in a moment.",
                retryable=True, maybe_booked=booking,
            ) from None  # fmt: skip
        return _answer(response, booking=booking)

    def download(self, url: str) -> bytes:
        """A document Shipit links to (a label PDF), byte for byte. The key goes only to Shipit's own host."""
        same_host = urlsplit(url).netloc == urlsplit(self.api_url).netloc
        headers = {"X-SHIPIT-KEY": self._key, "Accept": "application/pdf"} if same_host else {"Accept": "*/*"}
        if urlsplit(url).scheme not in ("http", "https"):
            raise CarrierError("Shipit gave a label link that is not a web address. Try again, or ask Shipit.")
        try:
            response = self._http.get(url, headers=headers)
        except httpx.TimeoutException:
            raise CarrierError("Shipit's label could not be downloaded in time. Try again.", retryable=True) from None
        except httpx.TransportError:
            raise CarrierError("Shipit's label could not be downloaded. Try again.", retryable=True) from None
        if response.status_code != 200:
            raise CarrierError(
                f"Shipit's label could not be downloaded (HTTP {response.status_code}). Try again.",
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        if not response.content.startswith(b"%PDF") or len(response.content) > MAX_LABEL_BYTES:
            raise CarrierError("Shipit's label link did not give a PDF. Try again, or ask Shipit.", retryable=True)
        return response.content


def _answer(response: httpx.Response, *, booking: bool) -> dict[str, Any]:
    status = response.status_code
    if status in (401, 403):
        raise CarrierError(
            f"Shipit refused the API key (HTTP {status}): ask an administrator to check {KEY_SETTING}."
        )
    if status == 429:
        wait = response.headers.get("Retry-After", "")
        later = f" in {wait} seconds" if wait.isdigit() else " in a moment"
        raise CarrierError(f"Shipit is limiting how often the bot may call it. Try again{later}.", retryable=True)
    if status >= 500:
        # Shipit's own failure: on a booking it may have got as far as booking before failing
        raise CarrierError(
            f"Shipit is having trouble (HTTP {status})." + (" The booking may have been made." if booking else "")
            + " Try again in a moment.",
            retryable=True, maybe_booked=booking,
        )  # fmt: skip
    try:
        data = response.json()
    except ValueError:
        raise CarrierError(
            f"Shipit answered with something that is not JSON (HTTP {status}). Try again in a moment.",
            retryable=True, maybe_booked=booking and status < 300,
        ) from None  # fmt: skip
    if not isinstance(data, dict):
        data = {"data": data}
    if status >= 400 or data.get("status", 1) in (0, "0", False):
        raise refused(data.get("error") or data.get("message") or f"HTTP {status}")
    return data


# Shipit's field paths, as its validation messages name them, and the return form's field each belongs to
_FORM_FIELDS = (
    ("sender.phone", "pickup_phone"),
    ("phone", "pickup_phone"),
    ("sender.", "address"),
    ("postcode", "address"),
    ("address", "address"),
    ("city", "address"),
    ("country", "address"),
    ("weight", "weight"),
    ("parcels", "weight"),
    ("date", "pickup_date"),
)
_WORDS = {"address": "The customer's address", "pickup_phone": "The phone number", "weight": "The parcel",
          "pickup_date": "The pickup date"}  # fmt: skip


def refused(error: Any) -> CarrierError:
    """Shipit's `error` (a string, or `{code, message, messages[]}`) as an agent reads it, with what each message
    says about a field of the return form in `fields` (the form shows them beside the fields)."""
    if isinstance(error, dict):
        messages = [str(m) for m in (error.get("messages") or []) if str(m).strip()]
        head = str(error.get("message") or "").strip()
    else:
        messages, head = [], str(error).strip()
    fields: dict[str, str] = {}
    for message in messages or [head]:
        lowered = message.lower()
        # the shop's own address (RETURN_ADDRESS_*) is no field of the form: said in the message only
        shops = lowered.startswith("receiver.")
        form_field = "" if shops else next((f for path, f in _FORM_FIELDS if path in lowered), "")
        if form_field and form_field not in fields:
            detail = message.split(":", 1)[-1].strip() if ":" in message else message
            fields[form_field] = f"{_WORDS[form_field]} was refused by Shipit: {detail}"
    said = "; ".join(_plain(m) for m in messages) or _plain(head) or "no reason given"
    return CarrierError(f"Shipit refused the return: {said}", fields=fields)


_PATHS = (("sender.", "the customer's "), ("receiver.", "the shop's return "), ("serviceid", "the service"),
          ("pickupid", "the drop-off point"))  # fmt: skip


def _plain(message: str) -> str:
    """`sender.postcode: 'ABC' is not…` → `the customer's postcode: 'ABC' is not…`: no API field paths for agents."""
    path, sep, rest = message.partition(":")
    if not sep or " " in path.strip():
        return message.strip()
    words = path.strip()
    for prefix, said in _PATHS:
        if words.lower().startswith(prefix):
            words = said + words[len(prefix):]
            break
    words = re.sub(r"parcels\[\d+\]\.", "parcel ", words)
    return f"{words}:{rest}".strip()
