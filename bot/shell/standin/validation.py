"""Block Kit validation as strict as Slack: `slack_sdk.models` plus the limits slack_sdk does not check.

slack_sdk silently drops unknown keys and turns unknown block types into None, so every block is parsed,
serialised with `to_dict()` (which validates the whole tree) and compared with what was sent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_TEXT_INPUT_LENGTH = 3000
MAX_SECTION_FIELD_CHARS = 2000
MAX_VIEW_BYTES = 250_000
MAX_MESSAGE_TEXT_CHARS = 40_000
MAX_PRIVATE_METADATA_CHARS = 3000
MAX_EXTERNAL_ID_CHARS = 255
# Options per menu (Slack's own limits; slack_sdk's checks differ between versions, so they are stated here)
MAX_OPTIONS = {"static_select": 100, "multi_static_select": 100, "overflow": 5, "radio_buttons": 10, "checkboxes": 10}
MAX_OPTION_GROUPS = 100

# What slack_sdk raises for malformed input besides its own formation error.
_PARSE_ERRORS = (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError)


class BlockKitError(ValueError):
    """A message or view Slack would reject; `code` is the Web API error Slack answers with."""

    def __init__(self, message: str, code: str = "invalid_blocks") -> None:
        super().__init__(message)
        self.code = code


def validate_blocks(blocks: list[dict[str, Any]], *, surface: str) -> None:
    """Raise BlockKitError unless `blocks` is valid for a "message" or a "modal" (or "home")."""
    if surface not in MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}; expected one of {sorted(MAX_BLOCKS)}")
    if not isinstance(blocks, list):
        raise BlockKitError(f"blocks must be a list, got {type(blocks).__name__}")
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        raise BlockKitError(f"{surface} has {len(blocks)} blocks; Slack allows at most {limit}")
    for index, block in enumerate(blocks):
        _validate_block(index, block)
    _check_unique_block_ids(blocks)


def validate_view(view: dict[str, Any]) -> None:
    """Raise BlockKitError unless `view` is a modal or Home tab Slack would accept."""
    if not isinstance(view, dict):
        raise BlockKitError(f"view must be an object, got {type(view).__name__}")
    kind = view.get("type")
    if kind not in ("modal", "home"):
        raise BlockKitError(f"view.type must be 'modal' or 'home', got {kind!r}")
    blocks = view.get("blocks")
    if not blocks:
        raise BlockKitError("view.blocks must contain at least one block")
    validate_blocks(blocks, surface=kind)
    _check_view_fields(view)
    _round_trip_view(view)
    size = len(json.dumps(view, ensure_ascii=False).encode("utf-8"))
    if size > MAX_VIEW_BYTES:
        raise BlockKitError(f"view is {size} bytes; Slack allows at most {MAX_VIEW_BYTES}", code="view_too_large")


def validate_message(
    text: str | None, blocks: list[dict[str, Any]] | None = None, *, attachments: list[Any] | None = None
) -> None:
    """Raise BlockKitError unless a chat message with this `text` and `blocks` is valid."""
    if text is not None and not isinstance(text, str):
        raise BlockKitError(f"text must be a string, got {type(text).__name__}", code="invalid_arguments")
    if blocks:
        validate_blocks(blocks, surface="message")
        if not (text or "").strip():
            raise BlockKitError("text is required with blocks: it is the notification and screen-reader fallback")
    elif not (text or "").strip() and not attachments:
        raise BlockKitError("a message needs text, blocks or attachments", code="no_text")
    total = len(text or "") + sum(len(t) for t in _texts(blocks or []))
    if total > MAX_MESSAGE_TEXT_CHARS:
        raise BlockKitError(
            f"message has {total} characters of text; Slack allows at most {MAX_MESSAGE_TEXT_CHARS}",
            code="msg_too_long",
        )


def validate_submission_ack(ack: Any, submitted_view: dict[str, Any] | None = None) -> None:
    """Raise BlockKitError unless Slack would take `ack` (the JSON body of the app's answer) as the answer to a
    view_submission: `update`/`push` carry a view Slack accepts, `errors` name input blocks of the submitted view.

    Slack checks these views as it checks views.update; nothing of ours sees them unless the caller asks here.
    """
    if ack is None or ack == {}:
        return  # an empty ack closes the modal
    if not isinstance(ack, dict):
        raise BlockKitError(f"the answer to a view_submission must be a JSON object, got {type(ack).__name__}")
    action = ack.get("response_action")
    if action in ("update", "push"):
        validate_view(ack.get("view"))  # type: ignore[arg-type]
    elif action == "errors":
        errors = ack.get("errors")
        if not isinstance(errors, dict) or not errors:
            raise BlockKitError("response_action errors needs an object of block_id -> message")
        if submitted_view is not None:
            inputs = {b.get("block_id") for b in submitted_view.get("blocks") or [] if b.get("type") == "input"}
            unknown = sorted(set(errors) - inputs)
            if unknown:
                raise BlockKitError(f"errors name blocks that are not input blocks of the view: {unknown}")
    elif action not in (None, "clear"):
        raise BlockKitError(f"unknown response_action {action!r}")


def _validate_block(index: int, block: Any) -> None:
    if not isinstance(block, dict):
        raise BlockKitError(f"blocks[{index}] must be an object, got {type(block).__name__}")
    where = _describe(index, block)
    # Slack's limits first: their messages name the element and the limit, whatever slack_sdk checks
    problems = _extra_block_checks(block, f"blocks[{index}]")
    if problems:
        raise BlockKitError(f"{where}: " + "; ".join(problems))
    try:
        parsed = Block.parse(block)
        if parsed is None:
            raise BlockKitError(f"{where}: unknown block type {block.get('type')!r}")
        kept = parsed.to_dict()
    except _PARSE_ERRORS as exc:
        raise BlockKitError(f"{where}: {exc}") from exc
    problems = _lost_in_round_trip(block, kept, f"blocks[{index}]")
    if problems:
        raise BlockKitError(f"{where}: " + "; ".join(problems))


def _describe(index: int, block: dict[str, Any]) -> str:
    block_id = block.get("block_id")
    suffix = f" block_id={block_id!r}" if block_id else ""
    return f"blocks[{index}] ({block.get('type')}{suffix})"


def _lost_in_round_trip(sent: Any, kept: Any, path: str) -> list[str]:
    """What slack_sdk did not carry over: unknown keys, unknown element types, bare strings for objects.

    Keys slack_sdk adds (defaults such as "emoji" or "type") are fine; only what was sent counts.
    """
    if isinstance(sent, dict):
        if kept is None:
            return [f"{path}: unknown element type {sent.get('type')!r}"]
        if not isinstance(kept, dict):
            return [f"{path}: not a valid object"]
        problems: list[str] = []
        for key, value in sent.items():
            if value is None:
                continue
            if key not in kept:
                problems.append(f"{path}.{key}: unknown or unsupported key")
            else:
                problems += _lost_in_round_trip(value, kept[key], f"{path}.{key}")
        return problems
    if isinstance(sent, list):
        if not isinstance(kept, list) or len(kept) != len(sent):
            return [f"{path}: list was not accepted as sent"]
        return [
            p
            for i, (s, k) in enumerate(zip(sent, kept, strict=True))
            for p in _lost_in_round_trip(s, k, f"{path}[{i}]")
        ]
    if isinstance(kept, dict):
        return [f"{path}: expected an object, got {type(sent).__name__}"]
    return []


def _extra_block_checks(block: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    for i, field in enumerate(block.get("fields") or []):
        text = field.get("text", "") if isinstance(field, dict) else ""
        if len(text) > MAX_SECTION_FIELD_CHARS:
            problems.append(f"{path}.fields[{i}]: {len(text)} characters; at most {MAX_SECTION_FIELD_CHARS}")
    for element in _elements(block):
        max_length = element.get("max_length")
        if element.get("type") != "plain_text_input" or max_length is None:
            continue
        if not isinstance(max_length, int) or not 0 < max_length <= MAX_TEXT_INPUT_LENGTH:
            problems.append(
                f"{path}: plain_text_input max_length must be 1..{MAX_TEXT_INPUT_LENGTH}, got {max_length!r}"
            )
    for element in _elements(block):
        problems += _option_checks(element, path)
    counts = Counter(e["action_id"] for e in _elements(block) if isinstance(e.get("action_id"), str))
    problems += [f"{path}: action_id {aid!r} is used {n} times in one block" for aid, n in counts.items() if n > 1]
    return problems


def _option_checks(element: dict[str, Any], path: str) -> list[str]:
    """A menu with more options than Slack shows is refused (a quantity menu for 100 pieces has 101)."""
    kind = element.get("type")
    if kind not in MAX_OPTIONS:
        return []
    action_id = element.get("action_id")
    what = f"{path}: {kind}" + (f" {action_id!r}" if action_id else "")
    limit = MAX_OPTIONS[kind]
    options = element.get("options")
    groups = element.get("option_groups")
    problems: list[str] = []
    if isinstance(options, list) and len(options) > limit:
        problems.append(f"{what} has {len(options)} options; Slack allows at most {limit}")
    if kind == "overflow" and isinstance(options, list) and not options:
        problems.append(f"{what} needs at least one option")
    if isinstance(groups, list):
        if len(groups) > MAX_OPTION_GROUPS:
            problems.append(f"{what} has {len(groups)} option groups; Slack allows at most {MAX_OPTION_GROUPS}")
        for i, group in enumerate(groups):
            grouped = group.get("options") if isinstance(group, dict) else None
            if isinstance(grouped, list) and len(grouped) > limit:
                problems.append(f"{what} option_groups[{i}] has {len(grouped)} options; Slack allows at most {limit}")
    return problems


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The interactive elements of one block (accessory, element, elements)."""
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield block[key]
    if block.get("type") in ("actions", "context", "input"):
        yield from (e for e in block.get("elements") or [] if isinstance(e, dict))


def _check_unique_block_ids(blocks: list[dict[str, Any]]) -> None:
    counts = Counter(b["block_id"] for b in blocks if b.get("block_id"))
    duplicates = sorted(block_id for block_id, n in counts.items() if n > 1)
    if duplicates:
        raise BlockKitError(f"block_id must be unique; repeated: {', '.join(map(repr, duplicates))}")


def _check_view_fields(view: dict[str, Any]) -> None:
    if view["type"] == "modal":
        if not view.get("title"):
            raise BlockKitError("a modal needs a title")
        if not view.get("submit") and any(b.get("type") == "input" for b in view["blocks"]):
            raise BlockKitError("a modal with an input block needs a submit button")
    metadata = view.get("private_metadata") or ""
    if not isinstance(metadata, str):
        raise BlockKitError(f"private_metadata must be a string, got {type(metadata).__name__}")
    # the limit is on the string as sent: JSON written with ensure_ascii spends six characters on an "ä"
    if len(metadata) > MAX_PRIVATE_METADATA_CHARS:
        raise BlockKitError(f"private_metadata is {len(metadata)} characters; at most {MAX_PRIVATE_METADATA_CHARS}")
    external_id = view.get("external_id") or ""
    if len(external_id) > MAX_EXTERNAL_ID_CHARS:
        raise BlockKitError(f"external_id is {len(external_id)} characters; at most {MAX_EXTERNAL_ID_CHARS}")


def _round_trip_view(view: dict[str, Any]) -> None:
    try:
        kept = View(**view).to_dict()
    except _PARSE_ERRORS as exc:
        raise BlockKitError(f"view: {exc}") from exc
    top_level = {key: value for key, value in view.items() if key != "blocks"}
    problems = _lost_in_round_trip(top_level, kept, "view")
    if problems:
        raise BlockKitError("; ".join(problems))


def _texts(node: Any) -> Iterator[str]:
    """Every "text" string in a block tree, for the message length limit."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
