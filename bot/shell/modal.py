"""Modals in the terminal: each input asked in turn (Enter keeps the prefilled value, - clears it), then submitted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.shell.render import render_message
from bot.shell.standin import (
    BlockKitError,
    initial_values,
    interactive_form,
    state_value,
    validate_submission_ack,
    view_submission_payload,
)

if TYPE_CHECKING:
    from bot.shell.session import Shell

_TEXT = {"plain_text_input", "number_input", "email_text_input", "url_text_input", "datepicker", "timepicker",
         "users_select", "conversations_select", "channels_select"}  # fmt: skip
_ONE_OF = {"static_select", "radio_buttons", "external_select"}
_MANY_OF = {"checkboxes", "multi_static_select"}


class Cancelled(Exception):
    pass


class ModalDriver:
    def __init__(self, shell: Shell, user_id: str) -> None:
        self.shell = shell
        self.user_id = user_id

    def show(self, method: str, view: dict[str, Any]) -> bool:
        """Print a modal; when it asks for input, ask and submit it. True when something was submitted."""
        say = self.shell.say
        say(
            f"┌─ {view.get('title', {}).get('text', 'Modal')} "
            + ("(updated) " if method == "views.update" else "")
            + "─" * 30
        )
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        if not inputs or "submit" not in view:
            self._print([b for b in view.get("blocks", []) if b.get("type") != "input"])
            say("└─")
            return False
        say("│ Enter keeps the value in [brackets], - clears it; type cancel to close the modal.")
        try:
            return self._fill_and_submit(view, inputs)
        except Cancelled:
            say("└─ (modal closed, nothing submitted)")
            return False

    def _fill_and_submit(self, view: dict[str, Any], inputs: list[dict[str, Any]]) -> bool:
        values = initial_values(view)
        ask = inputs
        while True:
            for block in view.get("blocks", []) if ask is inputs else ask:
                # the first time through, the modal's texts come in their place between the fields
                if block.get("type") == "input":
                    self._ask(block, values)
                else:
                    self._print([block])
            payload = view_submission_payload(self.user_id, view, values)
            response = self.shell.dispatch(interactive_form(payload))
            reply = json.loads(response.body) if response.body else {}
            try:
                validate_submission_ack(reply, payload["view"])
            except BlockKitError as exc:  # Slack would show "We had some trouble connecting" in the modal
                self.shell.say(f"└─ ✖ Slack would refuse the bot's answer to this form: {exc}")
                return True
            if reply.get("response_action") != "errors":
                break
            errors: dict[str, str] = reply.get("errors", {})
            for block_id, message in errors.items():
                self.shell.say(f"│ ✖ {self._label(inputs, block_id)}: {message}")
            ask = [b for b in inputs if b.get("block_id") in errors]
        self.shell.say("└─ submitted")
        if reply.get("response_action") in ("update", "push"):
            stored = self.shell.fake.views.get(view["id"], {})
            self.show("views.update", {**reply["view"], "id": view["id"], "hash": stored.get("hash", view["hash"])})
        return True

    def _print(self, blocks: list[dict[str, Any]]) -> None:
        for line in render_message({"blocks": blocks}, users=self.shell.users, number_from=1).lines:
            self.shell.say("│ " + line)

    def _label(self, inputs: list[dict[str, Any]], block_id: str) -> str:
        for b in inputs:
            if b.get("block_id") == block_id:
                return str(b["label"]["text"])
        return block_id

    def _ask(self, block: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]) -> None:
        element = block["element"]
        kind = element.get("type", "")
        entry = values.setdefault(block["block_id"], {}).get(element.get("action_id", ""), {})
        label = block["label"]["text"] + ("" if not block.get("optional") else " (optional)")
        if block.get("hint"):
            self.shell.say(f"│ {block['hint']['text']}")
        optional = bool(block.get("optional"))
        if kind in _ONE_OF or kind in _MANY_OF:
            value = self._ask_options(label, element, entry, many=kind in _MANY_OF, optional=optional)
        elif kind in _TEXT:
            current = next((v for k, v in entry.items() if k != "type"), None) or ""
            value = self._ask_text(label, current, optional=optional)
        else:
            return  # an element the terminal cannot edit keeps its initial value
        values[block["block_id"]][element["action_id"]] = state_value(element, value)

    def _ask_text(self, label: str, current: str, *, optional: bool) -> str | None:
        while True:
            answer = self._read(f"│ {label} [{current}]: ")
            if answer == "-":
                if optional:
                    return None
                self.shell.say("│ ✖ this field is required: type a value, or Enter to keep it")
                continue
            return (current if answer == "" else answer) or None

    def _ask_options(
        self, label: str, element: dict[str, Any], entry: dict[str, Any], *, many: bool, optional: bool
    ) -> Any:
        options = element.get("options") or [o for g in element.get("option_groups", []) for o in g["options"]]
        chosen = entry.get("selected_options") if many else entry.get("selected_option")
        chosen_values = {o["value"] for o in (chosen or [])} if many else {chosen["value"]} if chosen else set()
        keys = option_keys(options)
        self.shell.say(f"│ {label}:")
        for key, option in zip(keys, options, strict=True):
            mark = "x" if option["value"] in chosen_values else " "
            self.shell.say(f"│   {key}) [{mark}] {option['text']['text']}")
        can_clear = many or optional
        hint = "numbers separated by commas" if many else "a number"
        clear = ", or - for none" if can_clear else ""
        by_key = dict(zip(keys, options, strict=True))
        while True:
            answer = self._read(f"│ {label} ({hint}{clear}): ")
            if answer == "":
                return sorted(chosen_values) if many else next(iter(chosen_values), None)
            if can_clear and answer == "-":
                return [] if many else None
            picks = [p.strip() for p in answer.split(",")] if many else [answer]
            if all(p in by_key for p in picks):
                selected = [by_key[p]["value"] for p in picks]
                return selected if many else selected[0]
            self.shell.say(f"│ ✖ type {hint} from the list{clear}")

    def _read(self, prompt: str) -> str:
        answer = self.shell.read(prompt)
        if answer is None or answer.strip().lower() == "cancel":
            raise Cancelled
        return answer.strip()


def option_keys(options: list[dict[str, Any]]) -> list[str]:
    """What the person types for each option. A quantity list ("0 of 3" … "3 of 3", values 0…3) is answered
    with the quantity itself, so typing 1 means one piece; other lists are numbered from 1."""
    values = [str(o.get("value", "")) for o in options]
    if all(v.isascii() and v.isdigit() and v == str(int(v)) for v in values) and len(set(values)) == len(values):
        return values
    return [str(i) for i in range(1, len(options) + 1)]
