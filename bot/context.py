"""What every listener needs besides the Slack payload."""

from __future__ import annotations

from dataclasses import dataclass

from bot.worker import WorkerPool
from commands.services import Services


@dataclass(frozen=True)
class BotContext:
    services: Services
    worker: WorkerPool
    overdue_days: int = 14  # RETURN_REMINDER_DAYS: a return older than this is overdue in /returns

    @property
    def store_label(self) -> str:
        return self.services.store.name
