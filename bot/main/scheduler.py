"""The scheduler in `returnbot run`: APScheduler ticking every TICK_SECONDS, and the notifier the ticks post with.

Every instance of the bot ticks; what is due lives in the database and each row is claimed by one instance
(commands.tick, storage.reminders), so however many run, each reminder is sent once. The job store is in memory
(the jobs are "tick", nothing to keep), one tick at a time per process (`max_instances=1`), and ticks missed while
one ran long are run once, not in a burst (`coalesce`). A tick's "now" is the services' clock, so a test (or the
shell) decides what time it is; APScheduler only decides when to tick.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from bot.common.worker import WorkerPool
from bot.main.config import Settings
from bot.main.services import bot_context
from commands import tick as ticks
from commands.services import Services

log = logging.getLogger(__name__)

JOB_ID = "tick"


def instance_name() -> str:
    """Who holds a claim: host and process, so that a claim in the database says which instance took it."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


class Ticker:
    """Runs `commands.tick.tick` every `seconds` on a BackgroundScheduler, until `stop`."""

    def __init__(
        self,
        services: Services,
        notifier: ticks.Notifier,
        *,
        seconds: int,
        clock: Callable[[], datetime] | None = None,
        owner: str | None = None,
    ) -> None:
        self.services = services
        self.notifier = notifier
        self.seconds = seconds
        self.clock = clock or services.clock
        self.owner = owner or instance_name()
        self.last: ticks.TickReport | None = None
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": seconds},
            timezone=UTC,
        )
        self.scheduler.add_job(self.run_once, IntervalTrigger(seconds=seconds, timezone=UTC), id=JOB_ID, name=JOB_ID)

    def start(self) -> Ticker:
        self.scheduler.start()
        log.info("ticking every %s s as %s", self.seconds, self.owner)
        return self

    def run_once(self) -> ticks.TickReport:
        """One tick now (the scheduler's job; tests call it directly). Never raises: a tick logs what failed."""
        try:
            self.last = ticks.tick(self.services, self.notifier, now=self.clock(), owner=self.owner)
        except Exception:  # tick() catches its own failures; this is the last guard for the scheduler's thread
            log.exception("a tick failed")
            self.last = ticks.TickReport(errors=1)
        return self.last

    def tick_soon(self) -> None:
        """Run the next tick now rather than at its time (a test, or an operator's nudge)."""
        job = self.scheduler.get_job(JOB_ID)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def stop(self) -> None:
        """Stop ticking; a tick running now is finished first."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def slack_notifier(settings: Settings, services: Services, client: WebClient, worker: WorkerPool) -> ticks.Notifier:
    """The Slack side of a tick: bot.lifecycle's SlackNotifier (imported here: it is the bot's, not the scheduler's)."""
    from bot.lifecycle.notifier import SlackNotifier

    return SlackNotifier(client, bot_context(settings, services, worker))


def start_ticking(settings: Settings, services: Services, client: WebClient, worker: WorkerPool) -> Ticker:
    return Ticker(services, slack_notifier(settings, services, client, worker), seconds=settings.TICK_SECONDS).start()
