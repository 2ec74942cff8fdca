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
import signal
import threading
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


class ScratchDatabase:
    """A throw-away database for the SQL local systems, named (``mpphub_demo_<8 hex>``) before it exists so
    that its ``drop`` can be registered first: a Ctrl-C while ``CREATE DATABASE`` runs (which the server
    may have carried out already) leaves nothing behind either."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.name = f"mpphub_demo_{uuid.uuid4().hex[:8]}"
        self._admin = create_engine(ADMIN_URLS[dialect], isolation_level="AUTOCOMMIT")
        self._state = "none"  # "sent": CREATE DATABASE under way (or cut short); "created"
        self._say: Say = print

    def create(self, say: Say) -> str | None:
        """Create it; its URL, or None when that server is not reachable (said through ``say``)."""
        self._state, self._say = "sent", say
        try:
            with self._admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {self.name}"))
        except SQLAlchemyError:
            self._state = "none"
            say(f"  ({self.dialect} not reachable: its sql packages are left out)")
            return None
        self._state = "created"
        return ADMIN_URLS[self.dialect].rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        """Drop it (if it exists: ``create`` may have been cut short) and release the admin connections."""
        force = " WITH (FORCE)" if self.dialect == "postgresql" else ""  # the sandbox's own sessions too
        try:
            if self._state != "none":
                with self._admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {self.name}{force}"))
        except SQLAlchemyError as exc:
            if self._state == "created":
                raise
            # cut short while connecting, perhaps to a server that is not there: best effort, said
            self._say(f"  ({self.dialect}: could not make sure {self.name} is gone: {type(exc).__name__})")
        finally:
            self._admin.dispose()


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


@contextmanager
def ctrl_c_ignored() -> Iterator[None]:
    """Ctrl-C (SIGINT) is ignored inside: a teardown that a second Ctrl-C cut short would leave scratch
    databases and servers behind. Only the main thread can set signal handlers (and only it gets
    KeyboardInterrupt): elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        # None: a handler set from outside Python; Python's own is the nearest thing to put back
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


@contextmanager
def world_stack() -> Iterator[ExitStack]:
    """The ExitStack a sandbox world is built on (``mpphub sandbox up``, ``mpphub demo``): register each
    part's teardown on it as soon as the part exists. Leaving it (normally, on an error, or on a Ctrl-C at
    any point of start-up or serving) tears everything down, last-in first, with Ctrl-C ignored meanwhile:
    a second Ctrl-C neither cuts the teardown short nor prints a traceback."""
    stack = ExitStack()
    try:
        yield stack
    finally:
        while True:
            try:
                with ctrl_c_ignored():
                    stack.close()
                break
            except KeyboardInterrupt:
                # it came before Ctrl-C was ignored (or a callback raised it): close what is left, once more
                continue


def start_sql_systems(
    stack: ExitStack,
    packages: list[dict[str, Any]],
    seed: int,
    say: Say,
    officer_interval: float | None = None,
) -> list[SqlWorld]:
    """For each dialect with sql packages among ``packages``: a scratch database with their tables (and
    officers at work every ``officer_interval`` seconds when given). Closing ``stack`` drops them all,
    also what a Ctrl-C cut short: each drop is on ``stack`` before what it drops is created."""
    started: list[SqlWorld] = []
    for dialect in SQL_DIALECTS:
        mine = sql_packages(packages, dialect)
        if not mine:
            continue
        database = ScratchDatabase(dialect)
        stack.callback(database.drop)
        url = database.create(say)
        if not url:
            continue
        system = SqlLocalSystem(url, mine, seed=seed)
        # before the database itself is dropped (callbacks run last-in first); drops what exists of the schema
        stack.callback(system.drop)
        system.create_schema()
        if officer_interval:
            system.start_pace(officer_interval)
        started.append(SqlWorld(dialect, url, system, mine))
    return started
