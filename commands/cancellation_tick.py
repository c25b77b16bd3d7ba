"""The scheduler's part in cancelling: store jobs that outlived their budget, and cards that still show an order
as it was before it was cancelled (a team lead's approval runs the cancellation in the refund machinery, which
does not draw cards).

The message that a job finished goes out once per cancellation (commands.reminders.notify_once), however many
instances tick; a card is redrawn until it is marked drawn (drawing the same card twice changes nothing).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Protocol, runtime_checkable

from commands.cancellation_run import Ran, check_running
from commands.reminders import notify_once
from commands.services import Services
from storage import cancellations as stored
from storage.cancellations import CancellationView

log = logging.getLogger(__name__)


@runtime_checkable
class CancellationNotifier(Protocol):
    """What a Notifier (bot.lifecycle.notifier.SlackNotifier) does about cancellations, when it can."""

    def cancellation_finished(self, ran: Ran) -> None:
        """A cancellation the tick finished (or found refused): said in its thread, its card redrawn."""
        ...

    def cancellation_card(self, cancellation: CancellationView) -> None:
        """Redraw the card of a cancelled order."""
        ...


def tick_cancellations(services: Services, notifier: object, *, now: datetime) -> int:
    """One tick's cancellation work; how many cancellations it finished."""
    finished = check_running(services, now=now)
    if not isinstance(notifier, CancellationNotifier):
        return len(finished)
    for ran in finished:
        key = f"cancel-finished:{ran.cancellation.id}:{ran.cancellation.plan_no}"
        try:
            notify_once(services, key, partial(notifier.cancellation_finished, ran))
        except Exception:
            log.exception("the end of cancellation %s was not told in Slack", ran.cancellation.id)
            continue
        card_drawn(services, ran.cancellation)  # the finished message redraws it
    for cancellation in stored.cards_to_draw(services.db):
        try:
            notifier.cancellation_card(cancellation)
        except Exception:
            log.exception("the card of %s was not redrawn; the next tick tries again", cancellation.order_name)
            continue
        card_drawn(services, cancellation)
    return len(finished)


def card_drawn(services: Services, cancellation: CancellationView) -> None:
    """The order's card shows the cancelled order now: the tick leaves it be."""
    stored.card_drawn(services.db, cancellation.id, at=services.clock())
