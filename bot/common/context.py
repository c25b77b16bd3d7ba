"""What every listener needs besides the Slack payload."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.common.approvers import Approvers
from bot.common.worker import WorkerPool
from commands.refunds import RefundPolicy
from commands.services import Services


@dataclass(frozen=True)
class RefundSetup:
    """Who approves refunds, and where they are asked."""

    approvals_channel: str = ""  # APPROVALS_CHANNEL
    approvers: Approvers = field(default_factory=Approvers)
    policy: RefundPolicy = field(default_factory=RefundPolicy)


@dataclass(frozen=True)
class BotContext:
    services: Services
    worker: WorkerPool
    overdue_days: int = 14  # RETURN_REMINDER_DAYS: a return older than this is overdue in /returns
    refunds: RefundSetup = field(default_factory=RefundSetup)

    @property
    def store_label(self) -> str:
        return self.services.store.name
