"""Ledger fixtures: a fresh SQLite file, and a fresh database on the real PostgreSQL of this machine, each
keeping time with the test's own clock (``clock``: advance it to let time pass for that ledger alone)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from connectors.clock import ShiftedClock
from connectors.ledger.store import Ledger

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"mpphub_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> ShiftedClock:
    """The test's clock: real time until the test advances it (``clock.advance(seconds)``)."""
    return ShiftedClock()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path, clock: ShiftedClock) -> Iterator[Ledger]:
    """The ledger on both engines it runs on, keeping time with the test's ``clock``."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = Ledger.open(url, clock=clock)
    yield opened
    opened.close()
