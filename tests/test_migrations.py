"""The migrations build exactly the schema the models describe, and go down again cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import alembic_config, is_current, upgrade
from storage.models import Base

HAND_MADE = ("order_name_fts", "order_names")  # the name-search tables, made by hand in 0001


def _hand_made(obj: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
    return not (name or "").startswith(HAND_MADE)


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert is_current(engine)
        with engine.connect() as conn:
            differences = compare_metadata(
                MigrationContext.configure(conn, opts={"include_object": _hand_made}), Base.metadata
            )
        assert differences == []
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert {"orders", "return_cases", "labels", "operations"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
