"""region_history on SQLite and PostgreSQL (migration 0006): one row per region per hour, upserted in place
with the worst sample and the summed failures, pruned beyond the retention, written by the engine once per
cycle in one batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, inspect, select

from connectors.ledger import db
from connectors.ledger.history import history_days, hour_of, read_region_history
from connectors.ledger.models import RegionHistory, SyncHealth
from connectors.ledger.store import Ledger, NewApplication, StatusChange
from connectors.sync import engine as engine_module
from connectors.sync.context import SyncContext
from connectors.sync.engine import ServiceResult, SyncEngine
from connectors.sync.packages import PackageSource
from registry.schemas import national_transitions
from tests.conftest import REPO

SERVICE = "35.76/akta-kelahiran"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _apps(n: int, region: str = "35.76", service: str = SERVICE) -> list[NewApplication]:
    return [
        NewApplication(f"NAT-{region}-{i}", service, region, "1.0.0", T0 + timedelta(minutes=i), {"form": {}})
        for i in range(n)
    ]


def _rows(ledger: Ledger) -> list[dict[str, Any]]:
    with ledger.engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(select(RegionHistory).order_by(RegionHistory.region, RegionHistory.hour))
        ]


def test_a_cycle_samples_lag_backlog_and_dead_letters_of_its_regions(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, _apps(3), None, "c1")  # 3 waiting, the oldest at T0
    ledger.mark_sending("NAT-35.76-1")  # still waiting (its outcome unknown)
    ledger.mark_delivered("NAT-35.76-1", "REG-1")  # delivered: no longer waiting
    # one status change of the delivered application waits to be pushed; one unknown: a dead letter
    changes = [
        StatusChange("e1", "REG-1", "BARU", T0 + timedelta(hours=1)),
        StatusChange("e2", "REG-404", "BARU", T0 + timedelta(hours=1)),
    ]
    mapped = {"BARU": "received"}
    ledger.store_status_changes(
        "35.76", SERVICE, changes, [], None, "s1", national_transitions(), lambda v, s: mapped.get(s)
    )
    now = T0 + timedelta(hours=2, minutes=30)
    assert ledger.record_region_history({"35.76": 1, "35.09": 0}, now=now) == 2
    rows = {r["region"]: r for r in _rows(ledger)}
    assert set(rows) == {"35.76", "35.09"}
    mojokerto = rows["35.76"]
    assert mojokerto["hour"] == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    # 2 applications waiting (NAT-0 and NAT-2) + 1 pending event; the oldest waiting was submitted at T0
    assert (mojokerto["backlog"], mojokerto["dead_letters"], mojokerto["failures"]) == (3, 1, 1)
    assert mojokerto["lag_seconds"] == 2 * 3600 + 30 * 60
    assert mojokerto["samples"] == 1
    # a region with nothing waiting has a row of zeros: "sampled, all quiet" is not "no data"
    quiet = rows["35.09"]
    assert (quiet["backlog"], quiet["dead_letters"], quiet["failures"], quiet["lag_seconds"]) == (0, 0, 0, 0)


def test_the_hour_keeps_its_worst_sample_and_sums_its_failures(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, _apps(4), None, "c1")
    base = T0 + timedelta(hours=1)
    ledger.record_region_history({"35.76": 2}, now=base + timedelta(minutes=5))  # lag 1 h 5 min, backlog 4
    for i in range(3):  # the backlog drains, and a failure more
        ledger.mark_sending(f"NAT-35.76-{i}")
        ledger.mark_delivered(f"NAT-35.76-{i}", f"REG-{i}")
    ledger.record_region_history({"35.76": 1}, now=base + timedelta(minutes=50))
    (row,) = _rows(ledger)
    assert row["samples"] == 2 and row["failures"] == 3
    assert row["backlog"] == 4, "the worst backlog of the hour, not the last"
    assert row["lag_seconds"] == 3600 + 50 * 60 - 3 * 60, "the oldest still waiting (NAT-3), at the later sample"
    # the next hour is a row of its own
    ledger.record_region_history({"35.76": 0}, now=base + timedelta(hours=1, minutes=1))
    rows = _rows(ledger)
    assert [r["hour"] for r in rows] == [hour_of(base), hour_of(base) + timedelta(hours=1)]
    assert rows[1]["backlog"] == 1 and rows[1]["failures"] == 0 and rows[1]["samples"] == 1


def test_rows_beyond_the_retention_are_pruned(ledger: Ledger) -> None:
    ledger.history_days = 2
    for hours in (0, 30, 47, 49, 60):
        ledger.record_region_history({"35.76": 0}, now=T0 + timedelta(hours=hours))
    # at T0 + 60 h, rows from before T0 + 12 h are gone (two days), the rest stays
    kept = [r["hour"] for r in _rows(ledger)]
    assert kept == [T0 + timedelta(hours=h) for h in (30, 47, 49, 60)]


def test_the_history_is_read_oldest_first_from_the_hour_asked(ledger: Ledger) -> None:
    for hours in range(5):
        ledger.record_region_history({"35.76": hours, "35.09": 9}, now=T0 + timedelta(hours=hours, minutes=10))
    points = read_region_history(ledger.engine, "35.76", T0 + timedelta(hours=2, minutes=40))
    assert [(p["hour"], p["failures"]) for p in points] == [(T0 + timedelta(hours=h), h) for h in (2, 3, 4)]
    assert read_region_history(ledger.engine, "35.01", T0) == []


def test_the_retention_setting_is_checked() -> None:
    assert history_days({}) == 30
    assert history_days({"MPPHUB_HISTORY_DAYS": " 14 "}) == 14
    for bad in ("0", "-3", "1.5", "thirty", "3661"):
        with pytest.raises(ValueError, match="MPPHUB_HISTORY_DAYS must be a whole number of days from 1 to 3660"):
            history_days({"MPPHUB_HISTORY_DAYS": bad})


def test_a_bad_retention_refuses_to_open_the_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPPHUB_HISTORY_DAYS", "forever")
    with pytest.raises(ValueError, match="MPPHUB_HISTORY_DAYS"):
        Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")


def test_migration_0006_adds_the_table_and_the_partial_index(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    config = Config()
    config.set_main_option("script_location", str(db._MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    assert "region_history" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert "region_history" in inspect(engine).get_table_names()
    assert "ix_status_event_region_pending" in {i["name"] for i in inspect(engine).get_indexes("status_event")}
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert "region_history" not in inspect(engine).get_table_names()
    engine.dispose()


@pytest.fixture
def statements(ledger: Ledger) -> Iterator[list[str]]:
    """Every SQL statement the ledger's engine sends while the test runs (executemany counts once)."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(ledger.engine, "before_cursor_execute", note)
    yield seen
    event.remove(ledger.engine, "before_cursor_execute", note)


def test_the_engine_writes_each_region_once_per_cycle_in_one_batch(
    ledger: Ledger, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cycle over five services of three regions: one row per region, the cycle's failures summed per
    region, in one upsert statement (plus the hour's pruning) after three grouped reads."""
    services = ["35.76/akta-kelahiran", "35.76/izin-penelitian", "35.09/izin-penelitian", "35.16/izin-penelitian"]
    services.append("35.78/izin-penelitian")
    errors = {"35.76/akta-kelahiran": ["outbound: 503", "inbound: 502"], "35.16/izin-penelitian": ["push: 500"]}

    def run_service(self: SyncEngine, service_id: str, flows: Any, held: Any = None) -> ServiceResult:
        region = service_id.partition("/")[0]
        return ServiceResult(service_id, region, errors=list(errors.get(service_id, [])))

    monkeypatch.setattr(engine_module.SyncEngine, "run_service", run_service)
    ctx = SyncContext(ledger, PackageSource(REPO / "registry"), None, lambda package: None)  # type: ignore[arg-type, return-value]
    engine = SyncEngine(ctx, "w1")
    statements.clear()
    engine.run_once(services=services)
    rows = {r["region"]: r for r in _rows(ledger)}
    assert {code: r["failures"] for code, r in rows.items()} == {"35.76": 2, "35.09": 0, "35.16": 1, "35.78": 0}
    assert all(r["samples"] == 1 for r in rows.values())
    history_writes = [s for s in statements if s in ("INSERT", "DELETE")]
    assert history_writes == ["INSERT", "DELETE"], "one batched upsert for every region, and the hour's pruning"
    statements.clear()
    engine.run_once(services=services)  # the same hour: the rows are updated in place, no pruning again
    assert [s for s in statements if s in ("INSERT", "DELETE")] == ["INSERT"]
    with ledger.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RegionHistory)) == 4
        assert conn.scalar(select(func.sum(RegionHistory.failures))) == 6


OTHER = "35.09/izin-penelitian"


@pytest.fixture
def commits(ledger: Ledger) -> Iterator[list[str]]:
    """One entry per transaction that commits on the ledger's engine while the test runs."""
    seen: list[str] = []

    def note(conn: Any) -> None:
        seen.append("commit")

    event.listen(ledger.engine, "commit", note)
    yield seen
    event.remove(ledger.engine, "commit", note)


def _engine(ledger: Ledger) -> SyncEngine:
    ctx = SyncContext(ledger, PackageSource(REPO / "registry"), None, lambda package: None)  # type: ignore[arg-type, return-value]
    return SyncEngine(ctx, "w1")


def _idle_run(ledger: Ledger, service_id: str) -> None:
    """An idle run of the service's inbound flow: noted, written at the cycle's end."""
    region = service_id.partition("/")[0]
    assert ledger.record_run(region, service_id, "inbound", "w1", ledger.clock.now(), "ok", {}) is None


def _health(ledger: Ledger) -> set[tuple[str, str]]:
    with ledger.engine.connect() as conn:
        return {(r.service_id, r.flow) for r in conn.execute(select(SyncHealth.service_id, SyncHealth.flow))}


def test_a_cycle_ends_in_one_transaction(ledger: Ledger, commits: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The idle runs of a cycle's services and its regions' hour of history are written together
    (``Ledger.end_cycle``): one transaction for a cycle that did nothing else."""

    def run_service(self: SyncEngine, service_id: str, flows: Any, held: Any = None) -> ServiceResult:
        _idle_run(ledger, service_id)
        return ServiceResult(service_id, service_id.partition("/")[0])

    monkeypatch.setattr(engine_module.SyncEngine, "run_service", run_service)
    engine = _engine(ledger)
    commits.clear()
    engine.run_once(services=[SERVICE, OTHER])
    assert len(commits) == 1, "the idle runs and the history in one transaction"
    assert _health(ledger) == {(SERVICE, "inbound"), (OTHER, "inbound")}
    assert {r["region"] for r in _rows(ledger)} == {"35.76", "35.09"}


def test_one_service_run_on_its_own_ends_in_one_transaction(
    ledger: Ledger, commits: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_flows(self: SyncEngine, service_id: str, region: str, result: ServiceResult, *_: Any) -> ServiceResult:
        _idle_run(ledger, service_id)
        result.errors.append("outbound: HTTP 503")
        return result

    monkeypatch.setattr(engine_module.SyncEngine, "_run_service", run_flows)
    engine = _engine(ledger)
    commits.clear()
    engine.run_service(SERVICE)
    assert len(commits) == 1, "a cycle of one service: its idle runs and its region's hour together"
    assert _health(ledger) == {(SERVICE, "inbound")}
    assert [(r["region"], r["failures"]) for r in _rows(ledger)] == [("35.76", 1)]


def test_a_failed_cycle_writes_its_idle_runs_but_no_history(
    ledger: Ledger, commits: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_service(self: SyncEngine, service_id: str, flows: Any, held: Any = None) -> ServiceResult:
        _idle_run(ledger, service_id)
        if service_id == OTHER:
            raise RuntimeError("the cycle stops here")
        return ServiceResult(service_id, service_id.partition("/")[0])

    monkeypatch.setattr(engine_module.SyncEngine, "run_service", run_service)
    engine = _engine(ledger)
    commits.clear()
    with pytest.raises(RuntimeError, match="the cycle stops here"):
        engine.run_once(services=[SERVICE, OTHER])
    assert len(commits) == 1, "the idle runs noted before the failure are written all the same"
    assert _health(ledger) == {(SERVICE, "inbound"), (OTHER, "inbound")}
    assert _rows(ledger) == [], "history only after a cycle that ran to its end"


def test_ending_a_cycle_with_nothing_to_write_opens_no_transaction(ledger: Ledger, commits: list[str]) -> None:
    commits.clear()
    assert ledger.end_cycle(None) == (0, 0)
    assert ledger.end_cycle({}) == (0, 0)
    assert commits == []
    _idle_run(ledger, SERVICE)
    assert ledger.end_cycle(None) == (1, 0), "a failed cycle: its idle runs, no history"
    assert ledger.end_cycle({"35.76": 2}, now=T0) == (0, 1), "the idle runs were written once"
    assert len(commits) == 2
    assert [(r["region"], r["failures"]) for r in _rows(ledger)] == [("35.76", 2)]
