"""Alembic environment: the engine comes from `storage.migrate`, never from an ini file."""

from __future__ import annotations

from alembic import context

from storage.models import Base

engine = context.config.attributes["engine"]


def _ours(obj: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
    # the name-search tables (SQLite's FTS5 index, PostgreSQL's order_names) are made by hand in 0001
    return not (type_ == "table" and (name or "").startswith(("order_name_fts", "order_names")))


with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_object=_ours)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
