"""sync_health: finish_run keeps the latest run per (service, flow); migration 0003 fills it from the
runs an existing ledger already recorded."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from connectors.ledger import db
from connectors.ledger.models import SyncHealth, SyncRun
from connectors.ledger.store import Ledger


def _health(ledger: Ledger) -> dict[tuple[str, str], tuple[int, str, str | None, bool]]:
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(SyncHealth)).all()
    return {(r.service_id, r.flow): (r.runs, r.last_outcome, r.last_error, r.last_success_at is not None) for r in rows}


def test_finish_run_keeps_the_latest_run_of_each_flow(ledger: Ledger) -> None:
    service = "35.76/akta-kelahiran"
    first = ledger.start_run("35.76", service, "outbound", "w1")
    ledger.finish_run(first, "ok", {})
    second = ledger.start_run("35.76", service, "outbound", "w1")
    ledger.finish_run(second, "retry", {}, "HTTP 503")
    inbound = ledger.start_run("35.76", service, "inbound", "w1")
    ledger.finish_run(inbound, "fatal", {}, "401 from the local system")
    assert _health(ledger) == {
        (service, "outbound"): (2, "retry", "HTTP 503", True),  # the success before the failure is kept
        (service, "inbound"): (1, "fatal", "401 from the local system", False),
    }


def test_migration_0003_fills_sync_health_from_recorded_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(db._MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sync_run (region, service_id, flow, worker, started_at, finished_at, outcome, error) VALUES "
            "('35.76', '35.76/a', 'outbound', 'w', '2026-11-01 10:00:00', '2026-11-01 10:00:01', 'ok', NULL),"
            "('35.76', '35.76/a', 'outbound', 'w', '2026-11-01 10:05:00', '2026-11-01 10:05:01', 'retry', 'HTTP 503'),"
            "('35.76', '35.76/a', 'inbound', 'w', '2026-11-01 10:06:00', NULL, NULL, NULL)"
        )
    engine.dispose()
    ledger = Ledger.open(url)  # upgrades to the head
    assert _health(ledger) == {("35.76/a", "outbound"): (2, "retry", "HTTP 503", True)}
    ledger.close()


def test_an_idle_run_writes_only_its_health_row(ledger: Ledger) -> None:
    assert ledger.record_run("35.76", "35.76/x", "inbound", "w1", ledger.clock.now(), "ok", {"read": 0}) is None
    assert ledger.record_run("35.76", "35.76/x", "inbound", "w1", ledger.clock.now(), "ok", {}) is None
    with ledger.engine.connect() as conn:
        assert conn.execute(select(SyncHealth)).all() == [], "idle runs are noted, written with the cycle's others"
    assert ledger.flush_idle_runs() == 2
    assert ledger.flush_idle_runs() == 0, "written once"
    with ledger.engine.connect() as conn:
        assert conn.execute(select(SyncRun)).all() == []
        (health,) = conn.execute(select(SyncHealth)).all()
    assert (health.runs, health.last_outcome, health.last_run_id) == (2, "ok", 0)
    assert health.last_success_at is not None
    run_id = ledger.record_run("35.76", "35.76/x", "inbound", "w1", ledger.clock.now(), "ok", {"read": 3})
    failed = ledger.record_run(
        "35.76", "35.76/x", "inbound", "w1", ledger.clock.now(), "retry", {}, "local system down"
    )
    assert run_id is not None and failed is not None, "work and failures are recorded as runs"
    with ledger.engine.connect() as conn:
        (health,) = conn.execute(select(SyncHealth)).all()
    assert (health.runs, health.last_outcome, health.last_run_id, health.last_error) == (
        4,
        "retry",
        failed,
        "local system down",
    )


def test_an_idle_run_never_hides_a_failure_recorded_after_it_began(ledger: Ledger) -> None:
    began = ledger.clock.now()
    ledger.record_run("35.76", "35.76/x", "inbound", "w1", began, "ok", {})  # noted, not written yet
    # meanwhile another worker's run of the same stream fails and is recorded
    failed = ledger.record_run(
        "35.76", "35.76/x", "inbound", "w2", ledger.clock.now(), "retry", {}, "local system down"
    )
    ledger.flush_idle_runs()
    with ledger.engine.connect() as conn:
        (health,) = conn.execute(select(SyncHealth)).all()
    assert (health.last_outcome, health.last_run_id, health.runs) == ("retry", failed, 1)
    # an idle run that began after the failure clears it: the stream works again
    ledger.record_run("35.76", "35.76/x", "inbound", "w1", ledger.clock.now(), "ok", {})
    ledger.flush_idle_runs()
    with ledger.engine.connect() as conn:
        (health,) = conn.execute(select(SyncHealth)).all()
    assert (health.last_outcome, health.last_error, health.runs) == ("ok", None, 2)
