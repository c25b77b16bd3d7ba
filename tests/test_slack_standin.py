"""The Slack stand-in: a real slack_sdk WebClient (and Bolt app) against FakeSlack on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.shell.standin import (
    BlockKitError,
    Call,
    FakeSlack,
    block_actions_payload,
    initial_values,
    interactive_form,
    new_trigger_id,
    signed_headers,
    slash_command_form,
    state_value,
    validate_blocks,
    validate_message,
    validate_submission_ack,
    validate_view,
    view_submission_payload,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "slack"
SECRET = "test-signing-secret"


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, action_id: str = "go", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "return_modal",
        "title": plain("Create return"),
        "blocks": list(blocks),
        **extra,
    }


def text_input(block_id: str = "reason", action_id: str = "reason_input", **element: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain("Reason"),
        "element": {"type": "plain_text_input", "action_id": action_id, **element},
    }


OVERFLOW = {
    "type": "overflow",
    "action_id": "create_return",
    "options": [
        {"text": plain("Create return shipment"), "value": "modal"},
        {"text": plain("Create return shipment (instant)"), "value": "instant"},
    ],
}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


# -- messages ----------------------------------------------------------------------------------------------


def test_post_update_and_thread(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="Order #1001", blocks=[section("*#1001*")])
    reply = client.chat_postMessage(channel="C1", text="Label created", thread_ts=parent["ts"])
    updated = client.chat_update(channel="C1", ts=parent["ts"], text="Order #1001 (refunded)")

    assert parent["channel"] == "C1"
    assert float(reply["ts"]) > float(parent["ts"])
    assert updated["text"] == "Order #1001 (refunded)"
    assert updated["message"]["blocks"][0]["text"]["text"] == "*#1001*"  # blocks kept when not sent
    thread = fake.thread("C1", parent["ts"])
    assert [m["text"] for m in thread] == ["Order #1001 (refunded)", "Label created"]
    assert thread[0]["reply_count"] == 1
    assert thread[0]["blocks"][0]["block_id"]  # Slack assigns block ids
    assert [c.method for c in fake.calls] == ["chat.postMessage", "chat.postMessage", "chat.update"]
    assert fake.calls_to("chat.postMessage")[1].args["thread_ts"] == parent["ts"]
    fake.assert_no_errors()


def test_update_of_unknown_message_is_message_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as error:
        client.chat_update(channel="C1", ts="1600000000.000100", text="x")
    assert error.value.response["error"] == "message_not_found"


def test_post_ephemeral_needs_user_and_is_stored(fake: FakeSlack, client: WebClient) -> None:
    sent = client.chat_postEphemeral(channel="C1", user="U1", text="Only team leads can approve")

    assert sent["message_ts"]
    assert [m["text"] for m in fake.ephemeral_messages(user="U1")] == ["Only team leads can approve"]
    with pytest.raises(SlackApiError) as error:
        client.api_call("chat.postEphemeral", json={"channel": "C1", "text": "x"})
    assert error.value.response["error"] == "invalid_arguments"


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "fancy_card", "text": "x"}], "unknown block type 'fancy_card'"),
        ([section("x", accessory=button("B" * 76))], "cannot exceed 75 characters"),
        ([section(f"line {i}") for i in range(51)], "51 blocks"),
        ([section("x", acessory=button("Go"))], "acessory: unknown or unsupported key"),
        ([{"type": "actions", "elements": [{**button("Go"), "type": "buton"}]}], "unknown element type 'buton'"),
    ],
    ids=["unknown-type", "long-button", "51-blocks", "typo-key", "unknown-element"],
)
def test_invalid_blocks_are_rejected_and_recorded(
    fake: FakeSlack, client: WebClient, blocks: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)

    assert error.value.response["error"] == "invalid_blocks"
    assert expected in error.value.response["errors"][0]
    assert len(fake.errors) == 1 and expected in fake.errors[0]
    assert fake.messages("C1") == []
    with pytest.raises(AssertionError, match="invalid_blocks"):
        fake.assert_no_errors()


def test_blocks_sent_as_a_form_are_decoded_and_validated(fake: FakeSlack) -> None:
    form = {"channel": "C1", "text": "hi", "blocks": json.dumps([section("hello")])}
    response = httpx.post(fake.url + "chat.postMessage", data=form, headers={"Authorization": "Bearer xoxb-test"})

    assert response.json()["ok"] is True
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == [section("hello")]


def test_message_with_blocks_needs_fallback_text(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as error, pytest.warns(UserWarning, match="top-level `text`"):
        client.chat_postMessage(channel="C1", blocks=[section("x")])
    assert error.value.response["error"] == "invalid_blocks"
    assert "text is required" in fake.errors[0]


def test_not_in_channel_and_channel_not_found(fake: FakeSlack, client: WebClient) -> None:
    fake.not_member_channels.add("C_PRIVATE")
    fake.missing_channels.add("C_GONE")

    with pytest.raises(SlackApiError) as not_member:
        client.chat_postMessage(channel="C_PRIVATE", text="x")
    with pytest.raises(SlackApiError) as upload_not_member:
        client.files_upload_v2(channel="C_PRIVATE", content=b"x", filename="a.txt")
    with pytest.raises(SlackApiError) as missing:
        client.chat_postMessage(channel="C_GONE", text="x")

    assert not_member.value.response["error"] == "not_in_channel"
    assert upload_not_member.value.response["error"] == "not_in_channel"
    assert missing.value.response["error"] == "channel_not_found"
    assert client.conversations_info(channel="C_PRIVATE")["channel"]["is_member"] is False
    assert fake.files == []
    fake.assert_no_errors()  # these are Slack's answers, not mistakes in the request


# -- validation (direct) -------------------------------------------------------------------------------------


def test_validation_accepts_what_slack_accepts() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Order #1001", "emoji": True}},
        section("*Customer*", fields=[{"type": "mrkdwn", "text": "x" * 2000}], block_id="summary"),
        {"type": "actions", "block_id": "buttons", "elements": [button("Refund", "refund"), OVERFLOW]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Paid · Fulfilled"}]},
    ]
    validate_message("Order #1001", blocks)
    validate_view(modal(text_input(max_length=3000), submit=plain("Create"), private_metadata="x" * 3000))


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (lambda: validate_blocks([text_input(max_length=5000)], surface="modal"), "max_length"),
        (
            lambda: validate_blocks([section("x", fields=[{"type": "mrkdwn", "text": "x" * 2001}])], surface="message"),
            "2001",
        ),
        (
            lambda: validate_blocks(
                [{"type": "actions", "elements": [button("A", "same"), button("B", "same")]}], surface="message"
            ),
            "action_id 'same'",
        ),
        (lambda: validate_blocks([section("a", block_id="b"), section("c", block_id="b")], surface="message"), "'b'"),
        (lambda: validate_blocks([section(str(i)) for i in range(101)], surface="modal"), "101 blocks"),
        (lambda: validate_view(modal(text_input())), "submit"),
        (lambda: validate_view({**modal(section("x")), "type": None}), "view.type"),
        (lambda: validate_view(modal(section("x"), private_metadata="x" * 3001)), "private_metadata"),
        (lambda: validate_view(modal(section("x"), titel=plain("typo"))), "view.titel"),
        (lambda: validate_view(modal(*[section("x" * 2999) for _ in range(90)])), "bytes"),
        (lambda: validate_message("x" * 40_001), "40001"),
        (lambda: validate_message(""), "needs text"),
        (lambda: validate_message("x", [{"type": "section", "text": "bare string"}]), "expected an object"),
    ],
    ids=[
        "max-length",
        "field-length",
        "duplicate-action",
        "duplicate-block",
        "101-modal-blocks",
        "input-without-submit",
        "no-type",
        "private-metadata",
        "view-typo",
        "view-too-large",
        "text-too-long",
        "no-text",
        "bare-string-text",
    ],
)
def test_validation_rejects_what_slack_rejects(check: Any, expected: str) -> None:
    with pytest.raises(BlockKitError, match=expected):
        check()


# -- views ---------------------------------------------------------------------------------------------------


def test_views_open_update_and_conflicts(fake: FakeSlack, client: WebClient) -> None:
    trigger = new_trigger_id()
    opened = client.views_open(trigger_id=trigger, view=modal(section("Loading…"), external_id="ret-1"))["view"]

    assert opened["id"] in fake.views and opened["hash"] and opened["state"] == {"values": {}}
    assert opened["callback_id"] == "return_modal" and opened["root_view_id"] == opened["id"]

    form = modal(text_input(), submit=plain("Create"))
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=form)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert fake.views[opened["id"]]["blocks"][0]["block_id"] == "reason"

    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=form)
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger, view=form)
    with pytest.raises(SlackApiError) as unknown:
        client.views_update(view_id="V_NOPE", view=form)
    by_external_id = client.views_update(external_id="ret-1", view=modal(section("Done")))["view"]

    assert stale.value.response["error"] == "hash_conflict"
    assert reused.value.response["error"] == "exchanged_trigger_id"
    assert unknown.value.response["error"] == "not_found"
    assert by_external_id["id"] == opened["id"]
    pushed = client.views_push(trigger_id=new_trigger_id(), view=modal(section("Step 2")))["view"]
    assert pushed["id"] != opened["id"] and len(fake.views) == 2
    fake.assert_no_errors()


def test_invalid_view_is_rejected_and_recorded(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as error:
        client.views_open(trigger_id=new_trigger_id(), view=modal(text_input()))

    assert error.value.response["error"] == "invalid_arguments"
    assert "submit" in fake.errors[0]
    assert fake.views == {}


def options(count: int) -> list[dict[str, Any]]:
    return [{"text": plain(f"{n} of {count - 1}"), "value": str(n)} for n in range(count)]


def menu(kind: str, count: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "action_id": "quantity", "options": options(count), **extra}


def test_menus_may_have_as_many_options_as_slack_shows() -> None:
    validate_blocks([{"type": "actions", "elements": [menu("static_select", 100)]}], surface="message")
    validate_blocks([{"type": "actions", "elements": [menu("overflow", 5)]}], surface="message")
    grouped = {"type": "static_select", "action_id": "q", "option_groups": [
        {"label": plain(f"Group {g}"), "options": options(100)} for g in range(2)]}  # fmt: skip
    validate_blocks([section("x", accessory=grouped)], surface="message")
    item = {"type": "input", "block_id": "qty", "label": plain("Boots"), "element": menu("multi_static_select", 100)}
    validate_view(modal(item, submit=plain("Create")))


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (menu("static_select", 101), "static_select 'quantity' has 101 options; Slack allows at most 100"),
        (menu("multi_static_select", 101), "multi_static_select 'quantity' has 101 options"),
        (menu("overflow", 6), "overflow 'quantity' has 6 options; Slack allows at most 5"),
        (menu("radio_buttons", 11), "radio_buttons 'quantity' has 11 options; Slack allows at most 10"),
        (menu("checkboxes", 11), "checkboxes 'quantity' has 11 options"),
        (
            {"type": "static_select", "action_id": "q", "option_groups": [{"label": plain("A"), "options": options(101)}]},  # noqa: E501
            r"option_groups\[0\] has 101 options",
        ),
    ],
    ids=["static-101", "multi-101", "overflow-6", "radio-11", "checkboxes-11", "group-101"],
)
def test_menus_with_more_options_than_slack_shows_are_rejected(element: dict[str, Any], expected: str) -> None:
    in_modal = {"type": "input", "block_id": "qty", "label": plain("Boots"), "element": element}
    with pytest.raises(BlockKitError, match=expected):
        validate_view(modal(in_modal, submit=plain("Create")))
    if element["type"] != "radio_buttons" and element["type"] != "checkboxes":
        with pytest.raises(BlockKitError, match=expected):
            validate_blocks([{"type": "actions", "elements": [element]}], surface="message")


def test_a_quantity_menu_of_101_options_is_refused_through_the_api(fake: FakeSlack, client: WebClient) -> None:
    item = {"type": "input", "block_id": "qty", "label": plain("Socks"), "element": menu("static_select", 101)}
    with pytest.raises(SlackApiError) as error:
        client.views_open(trigger_id=new_trigger_id(), view=modal(item, submit=plain("Create")))

    assert error.value.response["error"] == "invalid_arguments"
    assert "101 options" in fake.errors[0]
    assert fake.views == {}


def test_private_metadata_over_3000_characters_is_refused_through_the_api(fake: FakeSlack, client: WebClient) -> None:
    # 20 lines of a return form with Baltic names, written as the modals write it (JSON, ASCII-escaped)
    name = "Šiaurės vėjas merino vilnos kojinės – 43–46 / Žalia su pilku ąžuolo"
    lines = [[f"gid://shopify/LineItem/{13_000_000_000 + n}", 3, name] for n in range(20)]
    meta = {"o": "gid://shopify/Order/6634244374859", "c": "C0SUPPORT1", "i": lines}
    metadata = json.dumps(meta, separators=(",", ":"))
    assert len(metadata) > 3000 and len(json.dumps(meta, ensure_ascii=False)) < 3000  # the escapes make the difference
    with pytest.raises(SlackApiError) as error:
        client.views_open(trigger_id=new_trigger_id(), view=modal(section("x"), private_metadata=metadata))

    assert error.value.response["error"] == "invalid_arguments"
    assert f"private_metadata is {len(metadata)} characters; at most 3000" in fake.errors[0]
    with pytest.raises(BlockKitError, match="must be a string"):
        validate_view(modal(section("x"), private_metadata={"o": 1}))


@pytest.mark.parametrize(
    ("ack", "expected"),
    [
        ({"response_action": "update", "view": modal(section("x"), private_metadata="x" * 3001)}, "private_metadata"),
        ({"response_action": "push", "view": modal(text_input())}, "submit"),
        ({"response_action": "errors", "errors": {"nowhere": "Say why"}}, "not input blocks"),
        ({"response_action": "errors", "errors": {}}, "block_id -> message"),
        ({"response_action": "replace"}, "unknown response_action"),
        ([], "JSON object"),
    ],
    ids=["update-metadata", "push-no-submit", "errors-unknown-block", "errors-empty", "unknown-action", "not-object"],
)
def test_answers_to_a_view_submission_are_checked_as_slack_checks_them(ack: Any, expected: str) -> None:
    submitted = modal(text_input(), submit=plain("Create"))
    with pytest.raises(BlockKitError, match=expected):
        validate_submission_ack(ack, submitted)


def test_good_answers_to_a_view_submission_pass_and_bad_ones_are_recorded(fake: FakeSlack) -> None:
    submitted = {"type": "view_submission", "view": modal(text_input(), submit=plain("Create"))}
    for good in ("", "{}", '{"response_action":"clear"}', '{"response_action":"errors","errors":{"reason":"Say why"}}',
                 json.dumps({"response_action": "update", "view": modal(section("Done"))})):  # fmt: skip
        fake.check_submission_ack(submitted, good)
    assert fake.errors == []

    fake.check_submission_ack(submitted, json.dumps({"response_action": "update", "view": modal(text_input())}))
    [error] = fake.errors
    assert error.startswith("view_submission ack:") and "submit" in error
    with pytest.raises(AssertionError, match="view_submission ack"):
        fake.assert_no_errors()


# -- files ---------------------------------------------------------------------------------------------------


def test_files_upload_v2_end_to_end(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="Order #1001")
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nlabel"

    result = client.files_upload_v2(
        channel="C1",
        thread_ts=parent["ts"],
        content=pdf,
        filename="label.pdf",
        title="Return label",
        initial_comment="Label",
    )

    (stored,) = fake.files
    assert result["file"]["id"] == stored.id
    assert (stored.filename, stored.title, stored.content) == ("label.pdf", "Return label", pdf)
    assert (stored.channel, stored.thread_ts, stored.initial_comment) == ("C1", parent["ts"], "Label")
    shared = fake.thread("C1", parent["ts"])[1]
    assert shared["files"][0]["name"] == "label.pdf" and shared["text"] == "Label"
    assert [c.method for c in fake.calls][1:] == [
        "files.getUploadURLExternal",
        "file_upload",
        "files.completeUploadExternal",
    ]
    fake.assert_no_errors()


# -- faults, auth, hooks ---------------------------------------------------------------------------------------


def test_ratelimited_surfaces_as_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="C1", text="x")

    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "7"
    assert error.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True  # only the next call fails


def test_fail_next_other_errors_are_http_200(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("views.open", error="expired_trigger_id", times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as error:
            client.views_open(trigger_id=new_trigger_id(), view=modal(section("x")))
        assert (error.value.response.status_code, error.value.response["error"]) == (200, "expired_trigger_id")
    assert client.views_open(trigger_id=new_trigger_id(), view=modal(section("x")))["ok"] is True


def test_auth_and_unknown_method(fake: FakeSlack) -> None:
    untokened = WebClient(base_url=fake.url)
    user_token = WebClient(token="xoxp-user", base_url=fake.url)
    bot = WebClient(token="xoxb-test", base_url=fake.url)

    with pytest.raises(SlackApiError) as no_token:
        untokened.auth_test()
    with pytest.raises(SlackApiError) as wrong_token:
        user_token.auth_test()
    with pytest.raises(SlackApiError) as unknown:
        bot.api_call("chat.scheduleTeleport")
    identity = bot.auth_test()

    assert no_token.value.response["error"] == "not_authed"
    assert wrong_token.value.response["error"] == "invalid_auth"
    assert unknown.value.response["error"] == "unknown_method"
    assert identity["bot_id"] and identity["user_id"] and identity["team_id"]
    assert "files:write" in identity.headers["x-oauth-scopes"].split(",")
    assert len(fake.errors) == 3


def test_users_and_usergroups(fake: FakeSlack, client: WebClient) -> None:
    fake.users["U1"] = {"name": "alex", "real_name": "Alex Agent", "email": "alex@example.com", "tz": "Europe/Tallinn"}
    fake.usergroups["S_LEADS"] = ["U1", "U2"]

    user = client.users_info(user="U1")["user"]
    assert (user["real_name"], user["tz"], user["profile"]["email"]) == (
        "Alex Agent",
        "Europe/Tallinn",
        "alex@example.com",
    )
    with pytest.raises(SlackApiError) as no_user:
        client.users_info(user="U404")
    assert no_user.value.response["error"] == "user_not_found"

    assert client.usergroups_users_list(usergroup="S_LEADS")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as no_group:
        client.usergroups_users_list(usergroup="S_NOPE")
    fake.usergroups_plan_upgrade_required = True
    with pytest.raises(SlackApiError) as free_plan:
        client.usergroups_users_list(usergroup="S_LEADS")

    assert no_group.value.response["error"] == "no_such_subteam"
    assert free_plan.value.response["error"] == "plan_upgrade_required"


def test_wait_for_and_on_call_hook(fake: FakeSlack, client: WebClient) -> None:
    seen: list[Call] = []
    fake.on_call = seen.append
    worker = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="from a worker"))
    worker.start()

    (call,) = fake.wait_for("chat.postMessage")
    worker.join()

    assert call.args["text"] == "from a worker"
    assert seen == [call] and seen[0].response["ts"] == fake.messages("C1")[0]["ts"]
    with pytest.raises(AssertionError, match=r"views\.open"):
        fake.wait_for("views.open", timeout=0.05)
    fake.clear()
    assert fake.calls == [] and fake.messages("C1")  # clear() forgets calls, not state


# -- response_url --------------------------------------------------------------------------------------------


def test_response_url_replace_and_reject(fake: FakeSlack, client: WebClient) -> None:
    card = client.chat_postMessage(channel="C1", text="Order #1001", blocks=[section("card")])
    url = fake.response_url("click-1", channel="C1", message_ts=card["ts"], user="U1")

    replaced = httpx.post(url, json={"text": "Working…", "replace_original": True})
    ephemeral = httpx.post(url, json={"text": "Only for you", "response_type": "ephemeral"})
    bad = httpx.post(url, json={"text": "x", "blocks": [{"type": "nope"}]})

    assert (replaced.status_code, ephemeral.status_code, bad.status_code) == (200, 200, 400)
    assert fake.message("C1", card["ts"])["text"] == "Working…"
    assert "blocks" not in fake.message("C1", card["ts"])  # replace_original swaps the whole message
    assert [m["text"] for m in fake.ephemeral_messages(channel="C1", user="U1")] == ["Only for you"]
    calls = fake.calls_to("response_url")
    assert [c.args["tag"] for c in calls] == ["click-1"] * 3 and calls[0].args["replace_original"] is True
    assert len(fake.errors) == 1 and "unknown block type" in fake.errors[0]


# -- payloads and signing ------------------------------------------------------------------------------------


def test_signed_headers_verify() -> None:
    body = slash_command_form("/order", "#1001", "U1", "C1", "http://127.0.0.1/response/x")
    headers = signed_headers(SECRET, body)
    verifier = SignatureVerifier(SECRET)

    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not verifier.is_valid(body + "x", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid(body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"])


def test_slash_command_form_has_the_fixture_fields() -> None:
    fixture = json.loads((FIXTURES / "slash_command.decoded.json").read_text())
    body = slash_command_form("/return", "1001 instant", "U1", "C1", "http://127.0.0.1/response/r", "1.2.abc")

    decoded = {k: v[0] for k, v in parse_qs(body).items()}
    assert set(fixture) - {"enterprise_id", "enterprise_name"} <= set(decoded)
    assert (decoded["command"], decoded["text"], decoded["trigger_id"]) == ("/return", "1001 instant", "1.2.abc")
    assert decoded["api_app_id"] and decoded["is_enterprise_install"] == "false"


def test_block_actions_payload_for_a_button_and_an_overflow() -> None:
    fixture = json.loads((FIXTURES / "block_actions_message_button.json").read_text())
    message = {
        "ts": "1700000000.000100",
        "text": "card",
        "blocks": [{"type": "actions", "block_id": "card", "elements": [button("Refund", "refund"), OVERFLOW]}],
    }

    clicked = block_actions_payload("U1", "C1", message, button("Refund", "refund"), "http://r")
    chosen = block_actions_payload(
        "U1", "C1", message, OVERFLOW, "http://r", selected_option=OVERFLOW["options"][1], is_ephemeral=True
    )

    assert set(fixture) <= set(clicked)
    assert clicked["actions"][0]["block_id"] == "card" and clicked["actions"][0]["value"] == "v"
    assert clicked["container"]["message_ts"] == message["ts"] and clicked["message"] == message
    assert chosen["actions"][0]["selected_option"]["value"] == "instant" and "options" not in chosen["actions"][0]
    assert "message" not in chosen and chosen["container"]["is_ephemeral"] is True
    with pytest.raises(ValueError, match="nope"):
        block_actions_payload("U1", "C1", message, button("x", "nope"), "http://r")


def test_view_submission_payload_and_state_values(fake: FakeSlack, client: WebClient) -> None:
    fixture = json.loads((FIXTURES / "view_submission.json").read_text())
    select = {
        "type": "static_select",
        "action_id": "method",
        "options": [{"text": plain("Drop-off"), "value": "dropoff"}, {"text": plain("Pickup"), "value": "pickup"}],
        "initial_option": {"text": plain("Drop-off"), "value": "dropoff"},
    }
    form = modal(
        text_input(initial_value="Too small"),
        {"type": "input", "block_id": "delivery", "label": plain("Delivery"), "element": select},
        submit=plain("Create"),
    )
    opened = client.views_open(trigger_id=new_trigger_id(), view=form)["view"]

    prefilled = initial_values(opened)
    assert prefilled["reason"]["reason_input"] == {"type": "plain_text_input", "value": "Too small"}
    assert prefilled["delivery"]["method"]["selected_option"]["value"] == "dropoff"
    prefilled["delivery"]["method"] = state_value(select, "pickup")

    payload = view_submission_payload("U1", opened, prefilled)
    assert set(fixture) <= set(payload)
    assert payload["view"]["state"]["values"]["delivery"]["method"]["selected_option"]["text"] == plain("Pickup")
    assert payload["view"]["id"] == opened["id"] and payload["view"]["hash"] == opened["hash"]
    with pytest.raises(ValueError, match="with id and hash"):
        view_submission_payload("U1", form, prefilled)


def test_interactive_form_round_trips() -> None:
    payload = {"type": "block_actions", "actions": [{"action_id": "refund", "value": "a&b=c ü"}]}

    assert json.loads(parse_qs(interactive_form(payload))["payload"][0]) == payload


def test_bolt_app_end_to_end(fake: FakeSlack, client: WebClient) -> None:
    app = App(client=client, signing_secret=SECRET, process_before_response=True)
    submitted: list[dict[str, Any]] = []

    @app.command("/return")
    def open_return(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal(text_input(), submit=plain("Create")))

    @app.view("return_modal")
    def submit_return(ack: Any, view: dict[str, Any]) -> None:
        ack()
        submitted.append(view["state"]["values"])

    def dispatch(body: str) -> int:
        headers = {k.lower(): [v] for k, v in signed_headers(SECRET, body).items()}
        return app.dispatch(BoltRequest(body=body, headers=headers)).status

    trigger = new_trigger_id()
    command = slash_command_form("/return", "1001", "U1", "C1", fake.response_url(), trigger)
    assert dispatch(command) == 200
    (opened_call,) = fake.calls_to("views.open")
    assert opened_call.args["trigger_id"] == trigger

    opened = opened_call.response["view"]
    values = {"reason": {"reason_input": {"type": "plain_text_input", "value": "Broken"}}}
    assert dispatch(interactive_form(view_submission_payload("U1", opened, values))) == 200
    assert submitted == [values]
    fake.assert_no_errors()
