"""Opening the ledger from settings, for the commands that only read or administer it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.ledger.store import Ledger
from hub.settings import STATE_DIR, Settings

T = TypeVar("T")

# what a command that only reads the ledger (status, alerts) exits with when there is none to read
EXIT_NO_LEDGER = 2


def clock_of(args: Any) -> Clock:
    """The clock a command keeps time with: the one ``hub.cli.main`` received (a test's), else the system's."""
    clock: Clock | None = getattr(args, "clock", None)  # a command's run() called without main has none
    return clock or SYSTEM_CLOCK


def open_ledger(settings: Settings | None = None, clock: Clock = SYSTEM_CLOCK) -> Ledger:
    """The ledger named by ``MPPHUB_LEDGER_URL`` (default: ``.mpphub/ledger.db``), migrated, keeping time
    with ``clock``."""
    settings = settings or Settings.from_env()
    if settings.ledger_url.startswith("sqlite:///") and not settings.ledger_url.startswith("sqlite:////"):
        STATE_DIR.mkdir(parents=True, exist_ok=True)
    return Ledger.open(settings.ledger_url, clock=clock)


def shown_url(url: str) -> str:
    """The ledger URL for a message, its password (if any) masked."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "MPPHUB_LEDGER_URL (not a database URL)"


def missing_sqlite_file(url: str) -> bool:
    """True when ``url`` is a SQLite ledger that was never created (no file, or an in-memory database,
    which is empty by definition). Checked without opening it, which would create the file."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return False  # Ledger.open says what is wrong with it
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return True
    if database.startswith("file:"):  # a SQLite URI (?uri=true): its path may carry options; let SQLite decide
        return False
    return not Path(database).is_file()


class NoLedger(Exception):
    """There is no ledger to report from, or it cannot be opened or read; the message says which, in one line."""


def read_ledger(settings: Settings, read: Callable[[Ledger], T], clock: Clock = SYSTEM_CLOCK) -> T:
    """``read`` the existing ledger named by the settings, for a command that only reports from it.

    Raises ``NoLedger`` when there is none (a SQLite file ``mpphub sync`` never created: not created here
    either) or its database cannot be opened or read (not reachable, not a ledger, refused): the command
    then says so and exits ``EXIT_NO_LEDGER`` rather than reporting an empty, healthy-looking hub."""
    from sqlalchemy.exc import SQLAlchemyError

    from connectors.ledger.errors import describe_ledger_error

    url = settings.ledger_url
    if missing_sqlite_file(url):
        raise NoLedger(f"no ledger at {shown_url(url)}: run `mpphub sync` first or set MPPHUB_LEDGER_URL")
    try:
        ledger = Ledger.open(url, clock=clock)
    except SQLAlchemyError as exc:
        raise NoLedger(f"cannot open the ledger at {shown_url(url)}: {describe_ledger_error(exc)}") from None
    try:
        return read(ledger)
    except SQLAlchemyError as exc:
        raise NoLedger(f"cannot read the ledger at {shown_url(url)}: {describe_ledger_error(exc)}") from None
    finally:
        ledger.close()
