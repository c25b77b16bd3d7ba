"""A return's exchange: which replacement request ships it. Set once, by whichever comes first (the receipt or a team
lead's Ship now); both use the same request (its submission key names the return), so the second finds it."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update

from storage.db import Database
from storage.models import ReturnCaseRow


def set_exchange_request(db: Database, rma: str, request_id: int) -> bool:
    """Remember the request that ships the exchange of `rma`; False when one was remembered already."""
    with db.session(write=True) as s:
        stmt = (
            update(ReturnCaseRow)
            .where(ReturnCaseRow.rma == rma, ReturnCaseRow.exchange_request_id.is_(None))
            .values(exchange_request_id=request_id)
        )
        # an UPDATE runs on a cursor: its result has a rowcount, which Session.execute's return type does not say
        return cast("CursorResult[Any]", s.execute(stmt)).rowcount == 1
