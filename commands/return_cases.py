"""Reading return cases: one by its RMA, an order's, the open ones for `/returns`; and the services returns use."""

from __future__ import annotations

from datetime import timedelta

from commands.errors import UserError
from commands.services import Services
from integrations.mail import Mailer
from storage import returns as stored
from storage.db import Database

Case = stored.CaseView
LabelInfo = stored.LabelView
SentEmail = stored.SentEmail

LISTS = ("open", "overdue", "mine")  # what `list_cases` can show


def get_case(db: Database, rma: str) -> Case:
    """The case with its current label; a UserError when there is no such return."""
    case = stored.get_case(db, rma)
    if case is None:
        raise UserError(f"There is no return {rma}.")
    return case


def cases_for_order(db: Database, order_id: str) -> list[Case]:
    return stored.cases_for_order(db, order_id)


def set_slack_status(db: Database, rma: str, status_ts: str) -> None:
    """Where the message reporting the case's progress is, so that a Retry updates the same message."""
    stored.set_slack_status(db, rma, status_ts)


def list_cases(services: Services, which: str, user: str, overdue_days: int) -> list[Case]:
    """Open returns, newest first: all of them ("open"), the overdue ones, or the ones `user` started ("mine")."""
    if which not in LISTS:
        raise UserError(f"There is no list of returns called “{which}”: choose {', '.join(LISTS)}.")
    if which == "mine":
        return stored.open_cases(services.db, requested_by=user)
    if which == "overdue":
        return stored.open_cases(services.db, created_before=services.clock() - timedelta(days=overdue_days))
    return stored.open_cases(services.db)


def open_cases_of(services: Services, user: str) -> list[Case]:
    """The open returns `user` started (the App Home), with their labels, newest first."""
    return stored.open_cases(services.db, requested_by=user)


def mailer(services: Services) -> Mailer:
    if services.mailer is None:
        raise UserError("E-mail is not set up on this bot.")
    return services.mailer
