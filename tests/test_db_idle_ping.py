"""A pooled PostgreSQL connection that the server closed while it sat idle (a restart, an idle timeout) is found
out at checkout and replaced, without a ping before every query (storage.db.IDLE_BEFORE_PING)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from storage import db as db_module
from storage.db import make_engine
from tests.conftest import PG_ADMIN_URL


def _pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _closed_by_the_server(pid: int) -> None:
    admin = create_engine(PG_ADMIN_URL)
    with admin.connect() as conn:
        # with a time-out, pg_terminate_backend waits until the backend has exited (PostgreSQL 14 and later)
        assert conn.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar_one()
    admin.dispose()


def test_a_connection_closed_while_idle_is_replaced_at_checkout(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)  # every pooled connection counts as idle long enough
    engine = make_engine(pg_url, pool_size=1)
    first = _pid(engine)
    _closed_by_the_server(first)
    assert _pid(engine) != first  # the dead one was pinged, dropped, and a new one made
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 3600.0)  # nothing has been idle that long
    engine = make_engine(pg_url, pool_size=1)
    _closed_by_the_server(_pid(engine))
    with pytest.raises(OperationalError):  # no ping: the closed connection is only found out by the query
        _pid(engine)
    assert _pid(engine) > 0  # and the pool has dropped it: the next query gets a new one
    engine.dispose()
