"""Start the shared parts of a sandbox world: the sql packages' simulated local systems, each in a
throw-away database on this machine's PostgreSQL / MariaDB, dropped again when the world closes.

Used by ``mpphub demo`` (hub/demo.py) and ``mpphub sandbox up`` (hub/commands/sandbox.py), which start the
national layer and the REST systems in their own way (the demo on free ports, ``sandbox up`` on fixed
ones) but set up the SQL side alike. The admin URLs come from ``MPPHUB_DEMO_POSTGRES_ADMIN_URL`` and
``MPPHUB_DEMO_MARIADB_ADMIN_URL``; a server that is not reachable leaves its packages out (said through
``say``), so a laptop without databases still gets the REST side.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from sandbox.local.sql_tables import SqlLocalSystem

ADMIN_URLS = {
    "postgresql": os.environ.get(
        "MPPHUB_DEMO_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get("MPPHUB_DEMO_MARIADB_ADMIN_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
SQL_DIALECTS = ("postgresql", "mariadb")
Say = Callable[[str], None]


@contextmanager
def scratch_database(dialect: str, say: Say) -> Iterator[str | None]:
    """A throw-away database for the SQL local systems, or None when that server is not reachable."""
    name = f"mpphub_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URLS[dialect], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except SQLAlchemyError:
        say(f"  ({dialect} not reachable: its sql packages are left out)")
        admin.dispose()
        yield None
        return
    try:
        yield ADMIN_URLS[dialect].rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}" + (" WITH (FORCE)" if dialect == "postgresql" else "")))
        admin.dispose()


def sql_packages(packages: list[dict[str, Any]], dialect: str) -> list[dict[str, Any]]:
    """The sql ``packages`` a ``dialect`` server holds (a ``mysql`` package runs on MariaDB)."""
    accepted = (dialect, "mysql") if dialect == "mariadb" else (dialect,)
    return [p for p in packages if p["local_system"]["kind"] == "sql" and p["local_system"]["dialect"] in accepted]


@dataclass(frozen=True)
class SqlWorld:
    """One started SQL local system: its dialect, database URL (credentials included: a sandbox's) and
    the packages whose tables it holds."""

    dialect: str
    url: str
    system: SqlLocalSystem
    packages: list[dict[str, Any]]

    @property
    def secrets(self) -> dict[str, str]:
        """``connection_ref`` -> database URL, for the hub's secret resolver."""
        return {p["local_system"]["connection_ref"]: self.url for p in self.packages}


def start_sql_systems(
    stack: ExitStack,
    packages: list[dict[str, Any]],
    seed: int,
    say: Say,
    officer_interval: float | None = None,
) -> list[SqlWorld]:
    """For each dialect with sql packages among ``packages``: a scratch database with their tables (and
    officers at work every ``officer_interval`` seconds when given). Closing ``stack`` drops them all."""
    started: list[SqlWorld] = []
    for dialect in SQL_DIALECTS:
        mine = sql_packages(packages, dialect)
        url = stack.enter_context(scratch_database(dialect, say)) if mine else None
        if not url:
            continue
        system = SqlLocalSystem(url, mine, seed=seed)
        system.create_schema()
        stack.callback(system.drop)  # before the database itself is dropped (callbacks run last-in first)
        if officer_interval:
            system.start_pace(officer_interval)
        started.append(SqlWorld(dialect, url, system, mine))
    return started
