"""The terminal client: typed lines become real Slack payloads for the same Bolt app.

The app's Web API calls go to the in-process Slack stand-in, whose calls are printed as text with
numbered buttons; modals are filled in field by field; uploaded files are saved under ./files/.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from slack_bolt import App, BoltRequest, BoltResponse

from bot.app import create_app, make_client
from bot.common.approvers import Approvers
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.shell.modal import ModalDriver
from bot.shell.render import Clickable, mrkdwn, render_message
from bot.shell.standin import (
    FakeSlack,
    app_home_opened_body,
    block_actions_payload,
    home_block_actions_payload,
    interactive_form,
    signed_headers,
    slash_command_form,
)
from bot.shell.ticking import USAGE as TICK_USAGE
from bot.shell.ticking import Ticker, describe, parse_step, with_shell_channels
from commands.services import Services

USER_ID = "U0SHELL01"
USER_NAME = "agent"
LEAD_ID = "U0SHELL02"
LEAD_NAME = "lead"
CHANNEL_ID = "C0SUPPORT1"
CHANNEL_NAME = "support"
# without APPROVALS_CHANNEL the shell plays the approvals channel too, with @lead as the team lead
APPROVALS_ID = "C0APPROVALS"
APPROVALS_NAME = "approvals"
FILES_DIR = Path("files")

HELP = """\
Type what you would type in Slack, for example:
  /order #1001          look up an order (also: an e-mail, a customer name, a tracking number)
  /return #1001 instant a return label at once (without "instant": the form)
  /returns              open returns
  /refund #1001 [25.00] ask for a refund; a team lead approves it in #approvals
  /cancel-order #1024   cancel an order that has not shipped (refunds over the limit need a team lead)
  as lead / as agent    be the team lead (who approves refunds) or the agent again
  home                  open the bot's Home tab: your open returns (for the lead: refunds to approve)
  tick                  run the scheduler once: reminders, escalations, expiry, the daily digest
  tick +15d             move the clock 15 days on first (also +7d, +2h, +30m), then tick
  1                     press button [1] of the last message
  help                  this text
  quit                  leave (Ctrl-D works too)"""


def run_shell(ctx: BotContext, stdin: TextIO, stdout: TextIO) -> int:
    """Drive the bot's own app from the terminal until stdin ends; the caller owns the services."""
    users = {USER_ID: {"name": USER_NAME, "real_name": "Support Agent"}, LEAD_ID: {"name": LEAD_NAME}}
    with FakeSlack(users=users) as fake:
        secret = secrets.token_hex(16)
        client = make_client("xoxb-shell", fake.url)
        ctx = _with_shell_approvals(ctx)
        with_shell_channels(ctx.services, escalations=ctx.refunds.approvals_channel, digests=CHANNEL_ID)
        app = create_app(ctx, client, secret)
        shell = Shell(app, fake, ctx.worker, secret, stdout, interactive=stdin.isatty(), ticker=Ticker(ctx, client))
        quiet = _UnhandledRequests()
        app.logger.addFilter(quiet)
        try:
            shell.greet(ctx.services)
            shell.run(_lines(stdin, stdout, shell.prompt, interactive=stdin.isatty()))
        finally:
            app.logger.removeFilter(quiet)
    return 0


class _UnhandledRequests(logging.Filter):
    """Bolt warns about a request no listener took, with a code suggestion meant for developers; in the shell
    that request is a mistyped command, which the shell answers in one line itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Unhandled request")


def _with_shell_approvals(ctx: BotContext) -> BotContext:
    if ctx.refunds.approvals_channel:
        return ctx
    setup = replace(ctx.refunds, approvals_channel=APPROVALS_ID, approvers=Approvers(user_ids=frozenset({LEAD_ID})))
    return replace(ctx, refunds=setup)


def _lines(stdin: TextIO, stdout: TextIO, prompt: Callable[[], str], *, interactive: bool) -> Iterator[str]:
    while True:
        if interactive:
            stdout.write(prompt())
            stdout.flush()
        line = stdin.readline()
        if not line:
            return
        yield line.rstrip("\r\n")


class Shell:
    def __init__(
        self, app: App, fake: FakeSlack, worker: WorkerPool, secret: str, out: TextIO, *, interactive: bool,
        ticker: Ticker | None = None,
    ) -> None:  # fmt: skip
        self.app = app
        self.ticker = ticker
        self.fake = fake
        self.worker = worker
        self.secret = secret
        self.out = out
        self.interactive = interactive
        self.buttons: list[Clickable] = []
        self.seen = 0  # how many of the stand-in's calls have been shown
        self.users = {USER_ID: USER_NAME, LEAD_ID: LEAD_NAME, CHANNEL_ID: CHANNEL_NAME, APPROVALS_ID: APPROVALS_NAME}
        self.user_id, self.user_name = USER_ID, USER_NAME  # who is typing: the agent, or the team lead
        self.modals = ModalDriver(self, USER_ID)

    # -- input --------------------------------------------------------------------------------------

    def greet(self, services: Services) -> None:
        self.say(f"returnbot shell: you are @{USER_NAME} in #{CHANNEL_NAME}, orders from {services.store.name}.")
        self.say("Type /order #1001, a number to press a button, help, or quit.\n")

    def run(self, lines: Iterator[str]) -> None:
        self.lines = lines
        for line in lines:
            text = line.strip()
            if not self.interactive and text:
                self.say(f"> {text}")
            if text in ("quit", "exit", r"\q"):
                return
            self.handle(text)

    def handle(self, text: str) -> None:
        if not text:
            return
        if text in ("help", "?"):
            self.say(HELP)
        elif text in ("as lead", "as agent"):
            self.become(LEAD_ID if text == "as lead" else USER_ID)
        elif text == "home":
            self.open_home()
        elif text.split()[0] == "tick":
            self.tick(text)
        elif text.startswith("/"):
            command, _, arg = text.partition(" ")
            self.slash(command, arg.strip())
        elif text.isdigit():
            self.click(int(text))
        else:
            self.say("Type a slash command such as /order #1001, a button number, or help.")

    def prompt(self) -> str:
        return f"{self.user_name} in #{CHANNEL_NAME}> "

    def become(self, user_id: str) -> None:
        self.user_id, self.user_name = user_id, self.users[user_id]
        self.modals.user_id = user_id
        role = "the team lead: you approve refunds in #approvals" if user_id == LEAD_ID else "the support agent"
        self.say(f"You are now @{self.user_name}, {role}.")

    def read(self, prompt: str) -> str | None:
        """One answer for a modal field; None when input has ended."""
        if self.interactive:
            self.out.write(prompt)
            self.out.flush()
        line = next(self.lines, None)
        if line is not None and not self.interactive:
            self.say(f"{prompt}{line}")
        return line

    # -- Slack payloads ---------------------------------------------------------------------------------

    def slash(self, command: str, text: str) -> None:
        url = self.fake.response_url(channel=CHANNEL_ID, user=self.user_id)
        body = slash_command_form(
            command, text, self.user_id, CHANNEL_ID, url, user_name=self.user_name, channel_name=CHANNEL_NAME
        )
        response = self.dispatch(body)
        if response.status == 404:
            self.say(f"{command} is not a command of this bot. Type help.")
            return
        self.show_ack(response)
        self.settle()

    def open_home(self) -> None:
        """What Slack sends when the person opens the app's Home tab."""
        self.show_ack(self.dispatch(app_home_opened_body(self.user_id, view=self.fake.home(self.user_id))))
        self.settle()

    def tick(self, text: str) -> None:
        step = parse_step(text)
        if step is None or self.ticker is None:
            self.say(TICK_USAGE)
            return
        now, report = self.ticker.run(step)
        self.say(f"⏱ tick at {now:%a %Y-%m-%d %H:%M %Z}: {describe(report)}.\n")
        self.settle()

    def click(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.say(f"There is no button [{number}] on screen." if self.buttons else "There are no buttons on screen.")
            return
        chosen = self.buttons[number - 1]
        message = chosen.message
        if message.get("_home"):  # a button on the Home tab: no channel, no message, no response_url
            home = home_block_actions_payload(
                self.user_id, message["_home"], chosen.element, block_id=chosen.block_id, user_name=self.user_name
            )
            self.show_ack(self.dispatch(interactive_form(home)))
            self.settle()
            return
        ephemeral = bool(message.get("_ephemeral"))
        channel = message.get("channel") or CHANNEL_ID  # the card's channel, or the approvals channel
        url = self.fake.response_url(
            channel=channel, message_ts=None if ephemeral else message["ts"], user=self.user_id
        )
        payload = block_actions_payload(
            self.user_id, channel, _public(message), chosen.element, url,
            is_ephemeral=ephemeral, selected_option=chosen.option, block_id=chosen.block_id, user_name=self.user_name,
        )  # fmt: skip
        self.show_ack(self.dispatch(interactive_form(payload)))
        self.settle()

    def dispatch(self, body: str) -> BoltResponse:
        headers: dict[str, str | Sequence[str]] = {k.lower(): [v] for k, v in signed_headers(self.secret, body).items()}
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def show_ack(self, response: BoltResponse) -> None:
        if response.status >= 400:
            self.say(f"(the bot answered HTTP {response.status})")
            return
        if not response.body:
            return
        try:
            reply = json.loads(response.body)
        except ValueError:
            reply = {"text": response.body}
        if reply.get("text") or reply.get("blocks"):
            self.show_message({**reply, "_ephemeral": True}, "only visible to you")

    def settle(self) -> None:
        """Let background work finish, then show what the bot did in Slack."""
        self.worker.wait_idle()
        while self.show_new_calls():
            self.worker.wait_idle()

    # -- output ---------------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show_new_calls(self) -> bool:
        calls = self.fake.calls[self.seen :]
        self.seen += len(calls)
        opened_modal = False
        for call in calls:
            if not call.response.get("ok", True) and call.method != "response_url":
                continue
            opened_modal |= self.show_call(call.method, call.args, call.response)
        return opened_modal

    def show_call(self, method: str, args: dict[str, Any], response: dict[str, Any]) -> bool:
        match method:
            case "chat.postMessage":
                where = "in the thread" if args.get("thread_ts") else f"in #{_channel_name(args.get('channel'))}"
                self.show_message({**response.get("message", args), "channel": response.get("channel")}, where)
            case "chat.update":
                self.show_message({**response.get("message", args), "channel": response.get("channel")}, "updated")
            case "chat.postEphemeral":
                self.show_message({**args, "_ephemeral": True}, "only visible to you")
            case "response_url":
                self.show_response(args)
            case "files.completeUploadExternal":
                self.save_files()
            case "views.open" | "views.push" | "views.update":
                return self.modals.show(method, response.get("view") or {})
            case "views.publish":
                view = response.get("view") or {}
                whose = self.users.get(str(args.get("user_id")), str(args.get("user_id")))
                home = {"text": "", "blocks": view.get("blocks", []), "_home": view}
                self.show_message(home, f"Home tab of @{whose}")
        return False

    def show_response(self, args: dict[str, Any]) -> None:
        if str(args.get("delete_original")).lower() == "true":
            return
        label = "in #" + CHANNEL_NAME if args.get("response_type") == "in_channel" else "only visible to you"
        if str(args.get("replace_original")).lower() == "true":
            label = "replaced, " + label
        self.show_message({**args, "_ephemeral": args.get("response_type") != "in_channel"}, label)

    def show_message(self, message: dict[str, Any], where: str) -> None:
        rendered = render_message(message, users=self.users, number_from=1, bold=self.interactive)
        self.say(f"── returnbot · {where} " + "─" * max(4, 50 - len(where)))
        for line in rendered.lines:
            self.say("  " + line)
        if rendered.clickables:
            self.buttons = rendered.clickables
        self.say("")

    def save_files(self) -> None:
        FILES_DIR.mkdir(exist_ok=True)
        for f in self.fake.files:
            path = FILES_DIR / f.filename
            if path.exists() and path.read_bytes() == f.content:
                continue
            path.write_bytes(f.content)
            comment = f" — {mrkdwn(f.initial_comment, self.users)}" if f.initial_comment else ""
            self.say(f"📎 {f.title or f.filename} saved to {path}{comment}")


def _channel_name(channel: object) -> str:
    return APPROVALS_NAME if channel == APPROVALS_ID else CHANNEL_NAME


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """The message as Slack would echo it in a payload: without the shell's own markers."""
    clean = {k: v for k, v in message.items() if not k.startswith("_")}
    clean.setdefault("ts", "0000000000.000000")
    return clean
