"""What every listener needs besides the Slack payload."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.approvers import Approvers
from bot.config import Settings
from bot.worker import WorkerPool
from commands.refunds import RefundPolicy
from commands.services import Services


@dataclass(frozen=True)
class RefundSetup:
    """Who approves refunds, and where they are asked."""

    approvals_channel: str = ""  # APPROVALS_CHANNEL
    approvers: Approvers = field(default_factory=Approvers)
    policy: RefundPolicy = field(default_factory=RefundPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> RefundSetup:
        return cls(
            approvals_channel=settings.APPROVALS_CHANNEL.strip(),
            approvers=Approvers(settings.APPROVER_USERGROUP.strip(), settings.approver_user_ids),
            policy=RefundPolicy(settings.REFUND_AUTO_APPROVE_LIMIT),
        )


@dataclass(frozen=True)
class BotContext:
    services: Services
    worker: WorkerPool
    overdue_days: int = 14  # RETURN_REMINDER_DAYS: a return older than this is overdue in /returns
    refunds: RefundSetup = field(default_factory=RefundSetup)

    @classmethod
    def from_settings(cls, settings: Settings, services: Services, worker: WorkerPool) -> BotContext:
        return cls(services, worker, settings.RETURN_REMINDER_DAYS, RefundSetup.from_settings(settings))

    @property
    def store_label(self) -> str:
        return self.services.store.name
