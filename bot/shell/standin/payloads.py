"""Builders for the requests Slack sends to an app, shaped like ../shared/fixtures/slack/.

Slash commands are urlencoded forms; block_actions and view_submission are JSON dicts that travel as
`payload=<urlencoded JSON>` (`interactive_form`) over HTTP, or as-is in Socket Mode.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

# One workspace shared by the payload builders and FakeSlack, so ids line up across both.
TEAM_ID = "T111"
TEAM_DOMAIN = "returnbot-test"
API_APP_ID = "A111"
BOT_ID = "B111"
BOT_USER_ID = "U0BOT"
VERIFICATION_TOKEN = "verification_token"

# state.values key per element type (Slack element docs).
_VALUE_KEYS = {
    "plain_text_input": "value",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}
# Where each element type keeps its prefilled value in the view.
_INITIAL_KEYS = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
}


def new_trigger_id() -> str:
    """A fresh trigger_id in Slack's "<digits>.<digits>.<hex>" shape."""
    return f"{secrets.randbelow(10**13):013d}.{secrets.randbelow(10**12):012d}.{secrets.token_hex(16)}"


def action_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_form(
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    response_url: str,
    trigger_id: str | None = None,
    *,
    user_name: str = "agent",
    channel_name: str = "support",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
) -> str:
    """The raw `application/x-www-form-urlencoded` body of a slash command, fields in Slack's order."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields)


def block_actions_payload(
    user_id: str,
    channel_id: str,
    message: dict[str, Any],
    action: dict[str, Any],
    response_url: str,
    *,
    is_ephemeral: bool = False,
    trigger_id: str | None = None,
    selected_option: dict[str, Any] | None = None,
    block_id: str | None = None,
    state_values: dict[str, dict[str, dict[str, Any]]] | None = None,
    user_name: str = "agent",
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """`block_actions` for a click on `action`, an element of `message` (which carries `ts` and `blocks`).

    For an overflow or select, pass the chosen option as `selected_option` (or put it in `action`).
    """
    block_id = block_id or _block_id_of(message, action["action_id"])
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "support"},
        "state": {"values": copy.deepcopy(state_values or {})},
        "response_url": response_url,
        "actions": [_clicked(action, block_id, selected_option)],
    }
    if not is_ephemeral:  # Slack leaves the message out for ephemeral messages
        payload["message"] = copy.deepcopy(message)
    return payload


def _with_state(view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """A copy of the view as Slack returned it (with id and hash), holding `values` as its state."""
    if "id" not in view or "hash" not in view:
        raise ValueError("view must be the one Slack returned (with id and hash), not the one sent")
    current = copy.deepcopy(view)
    current["state"] = {"values": copy.deepcopy(values)}
    return current


def view_block_actions_payload(
    user_id: str,
    view: dict[str, Any],
    block_id: str,
    action_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_name: str = "agent",
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """`block_actions` for an input with dispatch_action inside a modal: the view and its state, no channel."""
    current = _with_state(view, values)
    entry = values.get(block_id, {}).get(action_id, {})
    action = {"action_id": action_id, "block_id": block_id, "action_ts": action_ts(), **copy.deepcopy(entry)}
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": current,
        "actions": [action],
    }


def home_block_actions_payload(
    user_id: str,
    view: dict[str, Any],
    action: dict[str, Any],
    *,
    block_id: str | None = None,
    trigger_id: str | None = None,
    user_name: str = "agent",
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """`block_actions` for a button on a Home tab: the view (as views.publish returned it), no channel, no message
    and no response_url (Slack has nowhere to put an ephemeral answer)."""
    if "id" not in view or "hash" not in view:
        raise ValueError("view must be the one Slack returned (with id and hash), not the one sent")
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": copy.deepcopy(view),
        "actions": [_clicked(action, block_id or _block_id_of(view, action["action_id"]), None)],
    }


def app_home_opened_body(user_id: str, *, tab: str = "home", view: dict[str, Any] | None = None,
                         team_id: str = TEAM_ID, api_app_id: str = API_APP_ID) -> str:  # fmt: skip
    """The JSON body of the `app_home_opened` event Slack sends when `user_id` opens the app's Home (or Messages)
    tab; `view`: the Home tab published before, which Slack includes once there is one."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": f"D{user_id[1:]}",
        "tab": tab,
        "event_ts": action_ts(),
    }
    if view is not None:
        event["view"] = copy.deepcopy(view)
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {"enterprise_id": None, "team_id": team_id, "user_id": BOT_USER_ID, "is_bot": True,
             "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }  # fmt: skip
    return json.dumps(body)


def view_submission_payload(
    user_id: str,
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    trigger_id: str | None = None,
    user_name: str = "agent",
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """`view_submission` for `view` as views.open/update returned it (with id and hash)."""
    submitted = _with_state(view, values)
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def interactive_form(payload: dict[str, Any]) -> str:
    """The form body Slack posts for interactivity: `payload=<urlencoded JSON>`."""
    return urlencode({"payload": json.dumps(payload)})


def state_value(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The state.values entry for `element` holding `value`.

    `value` is the raw value (text, user id, date…); for selects and checkboxes, the option value(s),
    resolved against the element's options so the entry carries the whole option as Slack sends it.
    """
    kind = element["type"]
    key = _VALUE_KEYS.get(kind)
    if key is None:
        raise ValueError(f"no state value for element type {kind!r}")
    if key == "selected_option":
        value = _option(element, value) if value is not None else None
    elif key == "selected_options":
        value = [_option(element, v) for v in value or []]
    return {"type": kind, key: value}


def initial_values(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """state.values as Slack would send them if the user submitted `view` without touching it."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view.get("blocks", []):
        for element in _input_elements(block):
            key = _VALUE_KEYS.get(element.get("type", ""))
            if key is None or "action_id" not in element:
                continue
            initial = element.get(_INITIAL_KEYS[key])
            entry: dict[str, Any] = {"type": element["type"], key: initial}
            values.setdefault(block["block_id"], {})[element["action_id"]] = entry
    return values


def _input_elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "block_id" not in block:
        return
    if block.get("type") == "input" and isinstance(block.get("element"), dict):
        yield block["element"]
    elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
        yield block["accessory"]
    elif block.get("type") == "actions":
        yield from block.get("elements", [])


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options", [])
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    raise ValueError(f"{element.get('action_id')!r} has no option with value {value!r}")


def _clicked(action: dict[str, Any], block_id: str, selected_option: dict[str, Any] | None) -> dict[str, Any]:
    """The actions[0] entry: a button echoes itself, a menu reports its choice instead of its options."""
    dropped = ("options", "option_groups", "confirm")
    clicked = {k: copy.deepcopy(v) for k, v in action.items() if k not in dropped and not k.startswith("initial_")}
    if selected_option is not None:
        clicked["selected_option"] = copy.deepcopy(selected_option)
    clicked["block_id"] = block_id
    clicked["action_ts"] = action_ts()
    return clicked


def _block_id_of(message: dict[str, Any], action_id: str) -> str:
    for block in message.get("blocks", []):
        elements = [block.get("accessory"), block.get("element"), *block.get("elements", [])]
        if any(isinstance(e, dict) and e.get("action_id") == action_id for e in elements):
            if "block_id" not in block:
                raise ValueError(f"the block holding {action_id!r} has no block_id")
            return str(block["block_id"])
    raise ValueError(f"no element with action_id {action_id!r} in the message")
