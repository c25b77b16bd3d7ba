"""The failures the fake Shopify shows on demand (`FakeShopify.fail_next`), and what each of them answers."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.shopify.standin.http_handler import Answer

FAULT_KINDS = (
    "429", "503", "500", "502_html", "bad_shape", "timeout", "drop", "apply_then_drop", "apply_then_timeout",
)  # fmt: skip
# Faults whose request is executed (a mutation is applied) before the fault shows
APPLIED_FAULTS = frozenset({"timeout", "apply_then_drop", "apply_then_timeout"})

TOO_MANY_CALLS = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
BAD_GATEWAY_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>There was a problem loading this website.</p></body></html>"
)


@dataclass(frozen=True)
class Fault:
    kind: str
    retry_after: float | None
    operation: str | None = None  # only a request of this operation (its name) meets the fault


def fault_answer(fault: Fault) -> Answer:
    """What a fault that is not applied answers in place of the request (status 0: the connection is dropped)."""
    retry = {"Retry-After": str(float(fault.retry_after))} if fault.retry_after is not None else {}
    match fault.kind:
        case "429":
            return Answer(429, {"errors": TOO_MANY_CALLS}, outcome="429", headers=retry)
        case "503":
            return Answer(503, {"errors": "Service Unavailable"}, outcome="503", headers=retry)
        case "500":
            return Answer(500, {"errors": "Internal Server Error"}, outcome="500")
        case "502_html":
            return Answer(502, BAD_GATEWAY_PAGE, outcome="502_html", content_type="text/html; charset=utf-8")
        case "bad_shape":
            return Answer(200, {"unexpected": True}, outcome="bad_shape")
    return Answer(0, None, outcome=fault.kind)  # "drop"
