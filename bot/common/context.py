"""What every listener needs besides the Slack payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.common.approvers import Approvers
from bot.common.worker import WorkerPool
from commands.refunds import RefundPolicy
from commands.replacements import ReplacementPolicy
from commands.services import Services


@dataclass(frozen=True)
class RefundSetup:
    """Who approves refunds, and where they are asked."""

    approvals_channel: str = ""  # APPROVALS_CHANNEL
    approvers: Approvers = field(default_factory=Approvers)
    policy: RefundPolicy = field(default_factory=RefundPolicy)
    replacement_limit: Decimal | None = None  # REPLACEMENT_AUTO_APPROVE_LIMIT; None: the refund limit

    @property
    def replacement_policy(self) -> ReplacementPolicy:
        """Replacements go before the same team leads, approved at once up to their own limit (at list price)."""
        limit = self.policy.auto_approve_limit if self.replacement_limit is None else self.replacement_limit
        return ReplacementPolicy(limit)


@dataclass(frozen=True)
class BotContext:
    services: Services
    worker: WorkerPool
    overdue_days: int = 14  # RETURN_REMINDER_DAYS: a return older than this is overdue in /returns
    refunds: RefundSetup = field(default_factory=RefundSetup)

    @property
    def store_label(self) -> str:
        return self.services.store.name
