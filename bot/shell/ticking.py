"""`tick`, `tick +15d`, `tick +2h`: the shell moves its own clock forward and runs one tick of the scheduler, with
the same Slack notifier `returnbot run` uses, posting into the shell's stand-in of Slack.

The shell's clock is the services' clock, so everything the bot does afterwards (a label's date, a receipt, the
next reminder) happens "then" as well: `tick +15d` is fifteen days later for the whole bot.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.common.context import BotContext
from bot.lifecycle.notifier import SlackNotifier
from commands import tick as ticks
from commands.services import MovableClock, Services

_STEP = re.compile(r"tick(?:\s+\+(\d{1,4})\s*([dhm]))?")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
USAGE = "Type tick (one tick now), or tick +15d, tick +7d, tick +2h, tick +30m (the clock moves on first)."


def movable_clock(services: Services) -> MovableClock:
    """The services' clock, made movable (from where it is now) unless it already is."""
    if not isinstance(services.clock, MovableClock):
        services.clock = MovableClock(services.clock())
    return services.clock


def with_shell_channels(services: Services, escalations: str, digests: str) -> None:
    """Without ESCALATION_CHANNEL and DIGEST_CHANNEL the shell's own channels take them, so `tick` shows them."""
    settings = services.lifecycle
    services.lifecycle = replace(
        settings,
        escalation_channel=settings.escalation_channel or escalations,
        digest_channel=settings.digest_channel or digests,
    )


def parse_step(text: str) -> timedelta | None:
    """How far `tick …` moves the clock (0 for a plain `tick`); None when it is not a tick the shell knows."""
    match = _STEP.fullmatch(text.strip())
    if match is None:
        return None
    if match.group(1) is None:
        return timedelta(0)
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass
class Ticker:
    ctx: BotContext
    client: WebClient

    def __post_init__(self) -> None:
        self.clock = movable_clock(self.ctx.services)
        self.notifier = SlackNotifier(self.client, self.ctx)

    def run(self, step: timedelta) -> tuple[datetime, ticks.TickReport]:
        """Move the clock by `step`, then one tick as of that moment."""
        if step:
            self.clock.advance(step)
        now = self.clock()
        services = self.ctx.services
        quiet, tick_log = _SaidByTheShell(), logging.getLogger(ticks.__name__)
        tick_log.addFilter(quiet)
        try:
            report = ticks.tick(services, self.notifier, now=now, owner="shell", settings=services.lifecycle)
        finally:
            tick_log.removeFilter(quiet)
        return now, report


class _SaidByTheShell(logging.Filter):
    """The shell says what a tick did in its own line: the tick's INFO summary would say it twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO


def describe(report: ticks.TickReport) -> str:
    counts = [
        (report.reminders, "reminder"), (report.escalations, "escalation"), (report.expired, "expiry"),
        (report.received, "receipt"), (report.digests, "digest"), (report.recovered, "recovered job"),
        (report.errors, "error"),
    ]  # fmt: skip
    done = [f"{n} {word if n == 1 else _plural(word)}" for n, word in counts if n]
    return ", ".join(done) if done else "nothing was due"


def _plural(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"
