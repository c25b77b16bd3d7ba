"""Reading and checking Web API arguments as Slack does, and shaping what the fake stores from them."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl

from .errors import SlackError
from .validation import BlockKitError, validate_message, validate_view

# Arguments slack_sdk sends as JSON strings inside form bodies.
_JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata", "user_auth_blocks")


def parse_args(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    """Arguments as Slack reads them: query string, then a JSON or form body; JSON-string fields decoded."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    text = raw.decode("utf-8", errors="replace")
    if content_type.startswith("application/json") or text.lstrip().startswith("{"):
        try:
            body = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise SlackError("invalid_json", str(exc), bug=True) from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json", "the body must be a JSON object", bug=True)
        args.update(body)
    elif text:
        args.update(parse_qsl(text, keep_blank_values=True))
    for name in _JSON_ARGS:
        if isinstance(args.get(name), str) and args[name].lstrip()[:1] in ("[", "{"):
            try:
                args[name] = json.loads(args[name])
            except json.JSONDecodeError:
                raise SlackError(f"invalid_{name}_format", f"{name} is not valid JSON", bug=True) from None
    return args


def check_auth(authorization: str | None) -> None:
    if not authorization or not authorization.startswith("Bearer ") or not authorization[7:].strip():
        raise SlackError("not_authed", "no token: send Authorization: Bearer xoxb-...", bug=True)
    if not authorization[7:].startswith("xoxb-"):
        raise SlackError("invalid_auth", "FakeSlack accepts bot tokens (xoxb-...) only", bug=True)


def require(args: dict[str, Any], *names: str) -> None:
    for name in names:
        if args.get(name) in (None, ""):
            raise SlackError("invalid_arguments", f"missing required field: {name}", bug=True)


def check_message(args: dict[str, Any]) -> None:
    try:
        validate_message(args.get("text"), args.get("blocks"), attachments=args.get("attachments"))
    except BlockKitError as exc:
        raise SlackError(exc.code, str(exc), bug=True) from None


def checked_view(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    try:
        validate_view(view)  # type: ignore[arg-type]
    except BlockKitError as exc:
        # Slack reports a bad view as invalid_arguments, not invalid_blocks.
        code = "invalid_arguments" if exc.code == "invalid_blocks" else exc.code
        raise SlackError(code, str(exc), bug=True) from None
    return view  # type: ignore[return-value]


def message_fields(args: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"text": args.get("text") or ""}
    for name in ("blocks", "attachments", "metadata"):
        if args.get(name) is not None:
            fields[name] = with_block_ids(args[name], fields["text"]) if name == "blocks" else copy.deepcopy(args[name])
    return fields


def with_block_ids(blocks: list[dict[str, Any]], seed: str) -> list[dict[str, Any]]:
    """Slack gives every block without a block_id a short random one; these are stable per seed."""
    filled = copy.deepcopy(blocks)
    for index, block in enumerate(filled):
        if not block.get("block_id"):
            block["block_id"] = hashlib.sha1(f"{seed}/{index}".encode()).hexdigest()[:5]
    return filled


def truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")
