"""The real Bolt app served over HTTP, a fake Slack Web API behind it, and signed requests into it."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs

import httpx

from bot.app import create_app, make_client
from bot.common.context import BotContext, RefundSetup
from bot.common.worker import WorkerPool
from bot.main.http_server import SlackHTTPServer
from bot.main.runtime import health_check
from bot.shell.session import run_shell
from bot.shell.standin import FakeSlack, block_actions_payload, interactive_form, signed_headers, slash_command_form
from commands.services import Services

SIGNING_SECRET = "test-signing-secret"
AGENT = "U0AGENT01"
LEAD = "U0LEAD001"
LEAD2 = "U0LEAD002"
CHANNEL = "C0SUPPORT1"
APPROVALS = "C0APPROVE1"


@dataclass
class SlackHarness:
    services: Services
    fake: FakeSlack
    worker: WorkerPool
    server: SlackHTTPServer
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.server.url, timeout=10)

    def post(self, body: str, *, headers: dict[str, str] | None = None) -> httpx.Response:
        response = self.http.post(
            "/slack/events", content=body.encode(), headers=headers or signed_headers(SIGNING_SECRET, body)
        )
        submitted = _view_submission(body)
        if submitted is not None and response.status_code == 200:
            self.fake.check_submission_ack(submitted, response.text)  # Slack checks the answer's view too
        return response

    def command(self, command: str, text: str, *, user: str = AGENT, channel: str = CHANNEL) -> httpx.Response:
        """A signed slash command; waits until the background work it started is done."""
        url = self.fake.response_url(channel=channel, user=user)
        response = self.post(slash_command_form(command, text, user, channel, url))
        self.settle()
        return response

    def click(
        self, message: dict[str, Any], action_id: str, *, value: str | None = None, user: str = AGENT,
        channel: str = CHANNEL, ephemeral: bool = False,
    ) -> httpx.Response:  # fmt: skip
        """Press the button `action_id` (with `value`, when several share the id) in `message`."""
        element = find_element(message, action_id, value)
        url = self.fake.response_url(channel=channel, message_ts=None if ephemeral else message["ts"], user=user)
        payload = block_actions_payload(user, channel, message, element, url, is_ephemeral=ephemeral)
        response = self.post(interactive_form(payload))
        self.settle()
        return response

    def suggest(self, view: dict[str, Any], action_id: str, block_id: str, typed: str, *, user: str = AGENT
                ) -> list[dict[str, Any]]:  # fmt: skip
        """What an external_select in the open `view` offers for `typed`: Slack's block_suggestion, answered in the
        HTTP response itself."""
        payload = {
            "type": "block_suggestion", "user": {"id": user, "name": "agent", "team_id": "T111"},
            "container": {"type": "view", "view_id": view["id"]}, "api_app_id": "A111", "token": "verification_token",
            "action_id": action_id, "block_id": block_id, "value": typed,
            "team": {"id": "T111", "domain": "returnbot-test"}, "view": view,
        }  # fmt: skip
        response = self.post(interactive_form(payload))
        assert response.status_code == 200, response.text
        return list(json.loads(response.text)["options"])

    def settle(self) -> None:
        assert self.worker.wait_idle(timeout=30), "background work did not finish"

    def responses(self) -> list[dict[str, Any]]:
        """What the app sent to response_urls (ephemeral replies), oldest first."""
        return [c.args for c in self.fake.calls_to("response_url")]

    def posted(self, channel: str = CHANNEL) -> list[dict[str, Any]]:
        return [
            c.response["message"]
            for c in self.fake.calls_to("chat.postMessage")
            if c.args.get("channel") == channel and c.response.get("ok")
        ]

    def close(self) -> None:
        self.http.close()
        self.server.shutdown()
        self.server.server_close()
        self.worker.shutdown()
        self.fake.stop()


def start_harness(
    services: Services,
    *,
    worker: WorkerPool | None = None,
    refunds: RefundSetup | None = None,
    usergroups: dict[str, list[str]] | None = None,
) -> SlackHarness:
    users = {AGENT: {"name": "agent"}, LEAD: {"name": "lead"}, LEAD2: {"name": "lead2"}}
    fake = FakeSlack(users=users, usergroups=usergroups).start()
    worker = worker or WorkerPool(workers=4)
    ctx = BotContext(services, worker, refunds=refunds or RefundSetup())
    app = create_app(ctx, make_client("xoxb-test", fake.url), SIGNING_SECRET)
    server = SlackHTTPServer(("127.0.0.1", 0), app, health_check(services))
    server.start_in_thread()
    return SlackHarness(services, fake, worker, server)


def _view_submission(body: str) -> dict[str, Any] | None:
    payload = parse_qs(body).get("payload")
    try:
        parsed = json.loads(payload[0]) if payload else None
    except ValueError:
        return None
    if isinstance(parsed, dict) and parsed.get("type") == "view_submission":
        return cast(dict[str, Any], parsed)
    return None


def find_element(message: dict[str, Any], action_id: str, value: str | None = None) -> dict[str, Any]:
    for block in message.get("blocks", []):
        candidates = [block.get("accessory")] if block.get("accessory") else block.get("elements", [])
        for element in candidates:
            if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                return cast(dict[str, Any], element)
    raise AssertionError(f"no element {action_id!r} (value {value!r}) in message: {json.dumps(message)[:500]}")


def block_texts(message: dict[str, Any]) -> str:
    """All the text of a message's blocks, for assertions about what a person sees."""
    parts: list[str] = [message.get("text", "")]
    for block in message.get("blocks", []):
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        parts.extend(f["text"] for f in block.get("fields", []))
        parts.extend(e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str))
        if block.get("accessory", {}).get("text"):
            parts.append(block["accessory"]["text"]["text"])
    return "\n".join(parts)


def ack_text(response: httpx.Response) -> str:
    """The text an ack showed the agent: Bolt answers plain text, or JSON when there is more than text."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json().get("text", ""))
    return response.text


def shell(services: Services, *lines: str) -> str:
    """Type `lines` into the terminal client on `services`; what it printed."""
    worker = WorkerPool(workers=2)
    out = io.StringIO()
    try:
        assert run_shell(BotContext(services, worker), io.StringIO("\n".join(lines) + "\n"), out) == 0
    finally:
        worker.shutdown()
    return out.getvalue()
