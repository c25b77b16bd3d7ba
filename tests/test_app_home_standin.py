"""The Slack stand-in's part of the Home tab: views.publish (validated as Slack validates a Home view),
chat.getPermalink, and the payloads Slack sends for the Home tab (app_home_opened, a button on the tab)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.shell.standin import FakeSlack, app_home_opened_body, home_block_actions_payload

USER = "U0AGENT01"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users={USER: {"name": "agent"}}) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": value, "text": {"type": "plain_text", "text": "Go"}}


def test_publish_keeps_one_home_per_user_and_answers_like_slack(fake: FakeSlack, client: WebClient) -> None:
    first = client.views_publish(user_id=USER, view={"type": "home", "blocks": [section("one")]})["view"]
    assert first["type"] == "home" and first["id"].startswith("V") and first["hash"]
    second = client.views_publish(user_id=USER, view={"type": "home", "blocks": [section("two")]})["view"]
    assert second["id"] == first["id"] and second["hash"] != first["hash"]  # the same tab, published again
    home = fake.home(USER)
    assert home is not None and home["blocks"][0]["text"]["text"] == "two"
    assert fake.home("U0NOBODY") is None
    with pytest.raises(SlackApiError) as stale:
        client.views_publish(user_id=USER, hash=first["hash"], view={"type": "home", "blocks": [section("x")]})
    assert stale.value.response["error"] == "hash_conflict"
    fake.assert_no_errors()


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ({"type": "home", "blocks": [section(f"{i}") for i in range(101)]}, "at most 100"),
        ({"type": "modal", "title": {"type": "plain_text", "text": "M"}, "blocks": [section("m")]}, "type home"),
        ({"type": "home", "blocks": []}, "at least one block"),
        ({"type": "home", "blocks": [section("a", block_id="x"), section("b", block_id="x")]}, "unique"),
    ],
)
def test_a_home_view_slack_refuses_is_refused(
    fake: FakeSlack, client: WebClient, view: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_publish(user_id=USER, view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    assert expected in " ".join(fake.errors)
    assert fake.home(USER) is None


def test_a_home_view_of_100_blocks_is_fine(fake: FakeSlack, client: WebClient) -> None:
    client.views_publish(user_id=USER, view={"type": "home", "blocks": [section(f"{i}") for i in range(100)]})
    fake.assert_no_errors()


def test_publish_for_an_unknown_user(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.views_publish(user_id="U0NOBODY", view={"type": "home", "blocks": [section("x")]})
    assert refused.value.response["error"] == "user_not_found"


def test_permalinks_of_a_message_and_of_a_reply(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="card")["ts"]
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent)["ts"]
    link = client.chat_getPermalink(channel="C1", message_ts=parent)
    assert link["channel"] == "C1"
    assert link["permalink"] == f"https://example.slack.com/archives/C1/p{parent.replace('.', '')}"
    in_thread = client.chat_getPermalink(channel="C1", message_ts=reply)["permalink"]
    assert in_thread.endswith(f"/p{reply.replace('.', '')}?thread_ts={parent}&cid=C1")
    with pytest.raises(SlackApiError) as missing:
        client.chat_getPermalink(channel="C1", message_ts="1.000001")
    assert missing.value.response["error"] == "message_not_found"
    fake.missing_channels.add("C2")
    with pytest.raises(SlackApiError) as gone:
        client.chat_getPermalink(channel="C2", message_ts=parent)
    assert gone.value.response["error"] == "channel_not_found"


def test_payloads_of_the_home_tab(fake: FakeSlack, client: WebClient) -> None:
    published = client.views_publish(
        user_id=USER, view={"type": "home", "blocks": [section("R1", accessory=button("receive", "R1"))]}
    )["view"]
    opened = json.loads(app_home_opened_body(USER, view=published))
    assert opened["type"] == "event_callback" and opened["event"]["type"] == "app_home_opened"
    assert opened["event"]["tab"] == "home" and opened["event"]["view"]["id"] == published["id"]
    assert "view" not in json.loads(app_home_opened_body(USER))["event"]
    element = published["blocks"][0]["accessory"]
    clicked = home_block_actions_payload(USER, published, element)
    assert clicked["container"] == {"type": "view", "view_id": published["id"]}
    assert clicked["view"]["type"] == "home" and clicked["actions"][0]["value"] == "R1"
    assert clicked["actions"][0]["block_id"] == published["blocks"][0]["block_id"]
    assert not {"channel", "message", "response_url"} & set(clicked)  # nowhere for an ephemeral answer
    with pytest.raises(ValueError, match="id and hash"):
        home_block_actions_payload(USER, {"type": "home", "blocks": []}, element)
