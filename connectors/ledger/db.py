"""Opening the ledger database and bringing its schema up to date (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

_MIGRATIONS = Path(__file__).parent / "migrations"
# SQL parameters carry applications' payloads (NIK, phone): never in SQL logs or database error messages,
# even when an operator turns sqlalchemy.engine logging on (the data-protection drill caught this)
HIDE_PARAMETERS = True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; busy_timeout: writers queue instead of failing at once
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``) tuned for the ledger."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "isolation_level": None}, hide_parameters=HIDE_PARAMETERS
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            # take the write lock at BEGIN: SQLite's deferred upgrade can deadlock two writers
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # connect_timeout: a ledger host that drops packets (a wrong address, a firewall) fails in seconds with
    # one clear line, instead of hanging for the kernel's TCP timeout
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        hide_parameters=HIDE_PARAMETERS,
        connect_args={"connect_timeout": 10} if url.startswith("postgresql") else {},
    )


def upgrade(engine: Engine) -> None:
    """Run every pending migration (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
