"""``SyncContext.close``: every local connector the context built is closed, then its ledger; one that fails
to close does not keep the others (or the ledger) open. A long-running sync that left its connectors' pools
to the garbage collector would close their database connections at an arbitrary moment, or never."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.sync.context import SyncContext
from connectors.sync.packages import PackageSource
from tests.conftest import REPO


class _Connector:
    """Stands in for a local connector: counts its closes; ``broken`` ones raise."""

    kind = "fake"

    def __init__(self, broken: bool = False) -> None:
        self.closed = 0
        self.broken = broken

    def close(self) -> None:
        self.closed += 1
        if self.broken:
            raise OSError("socket already gone")


def _context(tmp_path: Path, built: list[_Connector]) -> tuple[SyncContext, list[int]]:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger_closes: list[int] = []
    real_close = ledger.close

    def counted_close() -> None:
        ledger_closes.append(1)
        real_close()

    ledger.close = counted_close  # type: ignore[method-assign]

    def factory(package: dict[str, Any]) -> Any:
        connector = _Connector(broken=package["id"] == "broken")
        built.append(connector)
        return connector

    national = NationalClient("http://127.0.0.1:9", "token")
    return SyncContext(ledger, PackageSource(REPO / "registry"), national, factory), ledger_closes


def test_close_closes_every_connector_built_then_the_ledger(tmp_path: Path) -> None:
    built: list[_Connector] = []
    ctx, ledger_closes = _context(tmp_path, built)
    for service in ("a", "b"):
        ctx.connector({"id": service, "version": "1.0.0"})
    ctx.connector({"id": "a", "version": "1.0.0"})  # reused, not built again
    assert len(built) == 2
    ctx.close()
    assert [c.closed for c in built] == [1, 1]
    assert ledger_closes == [1]
    ctx.close()  # idempotent for the connectors: each closed once
    assert [c.closed for c in built] == [1, 1]


def test_a_connector_failing_to_close_leaves_neither_the_others_nor_the_ledger_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    built: list[_Connector] = []
    ctx, ledger_closes = _context(tmp_path, built)
    for service in ("broken", "b"):
        ctx.connector({"id": service, "version": "1.0.0"})
    ctx.close()
    assert [c.closed for c in built] == [1, 1]
    assert ledger_closes == [1]
    assert "closing the fake connector failed: OSError" in caplog.text
    assert "socket already gone" not in caplog.text  # the type only: an upstream text may carry anything


def test_the_sync_command_and_the_dag_tasks_close_the_whole_context() -> None:
    """The long-running callers end with ``ctx.close()``, not only the ledger's (which left every SQL
    connector's pool and HTTP session to the garbage collector)."""
    for path in ("hub/commands/sync.py", "dags/mpphub_airflow/tasks.py"):
        source = (REPO / path).read_text(encoding="utf-8")
        assert "ctx.close()" in source, path
        assert "ctx.ledger.close()" not in source, path
