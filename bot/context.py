"""What every listener needs besides the Slack payload."""

from __future__ import annotations

from dataclasses import dataclass

from bot.worker import WorkerPool
from commands.services import Services


@dataclass(frozen=True)
class BotContext:
    services: Services
    worker: WorkerPool

    @property
    def store_label(self) -> str:
        return self.services.store.name
