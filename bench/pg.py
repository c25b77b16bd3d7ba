"""PostgreSQL for the benchmarks: a database of their own, created when missing."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError


def database_ready(url: URL) -> bool:
    """Creates the benchmark database when missing; False (and says why) when PostgreSQL is not there."""
    admin = create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("select 1 from pg_database where datname = :name"), {"name": url.database})
            if not exists:
                conn.execute(text(f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(url.database or '')}"))
        return True
    except SQLAlchemyError as exc:
        where = url.render_as_string(hide_password=True)
        print(f"  PostgreSQL not reachable at {where}, skipped: {str(exc).splitlines()[0]}")
        return False
    finally:
        admin.dispose()
