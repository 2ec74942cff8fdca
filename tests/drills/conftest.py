"""Drill fixtures: the hub's clock always goes back to real time after a drill that shifted it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.ledger.types import reset_clock


@pytest.fixture(autouse=True)
def _real_clock_afterwards() -> Iterator[None]:
    yield
    reset_clock()


from tests.connectors.conftest import pg_url  # noqa: E402, F401 - a fresh PostgreSQL database per drill
