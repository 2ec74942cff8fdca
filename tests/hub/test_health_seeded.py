"""Health aggregates on both databases, from a ledger seeded through its own API: the day and hour
buckets (dialect-specific SQL) give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from connectors.ledger.models import Application, SyncHealth, SyncRun
from connectors.ledger.store import Ledger, NewApplication
from hub.health.report import build_report
from tests.hub.conftest import Api, copy_registry, make_api

SERVICE = "35.76/akta-kelahiran"  # SLA 3 working days
OTHER = "35.78/surat-keterangan-pindah"
NOW = datetime(2025, 4, 14, 3, 0, tzinfo=UTC)  # Monday after Lebaran 2025, 10:00 WIB


def _seed(ledger: Ledger) -> None:
    def app(i: int, service: str, submitted: datetime) -> NewApplication:
        return NewApplication(
            national_id=f"APP-{i}",
            service_id=service,
            region=service.partition("/")[0],
            package_version="1.0.0",
            submitted_at=submitted,
            payload={"application": {}, "form": {}},
            nik_masked="3576**********01",
        )

    items = [
        app(1, SERVICE, datetime(2025, 3, 26, 2, 0, tzinfo=UTC)),  # due 9 Apr (Lebaran): breached on 14 Apr
        app(2, SERVICE, datetime(2025, 4, 9, 2, 0, tzinfo=UTC)),  # due 14 Apr: not yet
        app(3, SERVICE, datetime(2025, 4, 8, 18, 0, tzinfo=UTC)),  # 01:00 WIB on 9 Apr: due 14 Apr, not yet
        app(4, SERVICE, datetime(2025, 4, 8, 16, 0, tzinfo=UTC)),  # 23:00 WIB on 8 Apr: due 11 Apr, breached
    ]
    ledger.store_new_applications("35.76", SERVICE, items, None, "c1")
    ledger.store_new_applications("35.78", OTHER, [app(5, OTHER, datetime(2025, 3, 1, 2, 0, tzinfo=UTC))], None, "c1")
    with ledger.engine.begin() as conn:
        conn.execute(
            update(Application)
            .where(Application.national_id == "APP-2")
            .values(delivery="acknowledged", delivered_at=NOW - timedelta(minutes=90))
        )
        conn.execute(update(Application).where(Application.national_id == "APP-5").values(national_status="approved"))
    ok = ledger.start_run("35.76", SERVICE, "outbound", "w1")
    ledger.finish_run(ok, "ok", {})
    bad = ledger.start_run("35.78", OTHER, "inbound", "w1")
    ledger.finish_run(bad, "fatal", {}, "local system refused the credentials (401)")
    with ledger.engine.begin() as conn:  # runs happened shortly before NOW
        conn.execute(
            update(SyncRun).values(started_at=NOW - timedelta(minutes=5), finished_at=NOW - timedelta(minutes=4))
        )
        conn.execute(update(SyncHealth).values(last_finished_at=NOW - timedelta(minutes=4)))
        conn.execute(
            update(SyncHealth)
            .where(SyncHealth.last_success_at.is_not(None))
            .values(last_success_at=NOW - timedelta(minutes=4))
        )
    ledger.quarantine("35.78", OTHER, "inbound", "r-1", "unknown status code 'Z'", None)


def test_aggregates_on_each_database(api_any_db: Api) -> None:
    ledger = api_any_db.ledger
    _seed(ledger)
    index: dict[str, Any] = api_any_db.client.app.state.hub.index()  # type: ignore[attr-defined]
    report = build_report(ledger.engine, index, NOW)
    mine, other = report.services[SERVICE], report.services[OTHER]
    assert (mine["state"], mine["applications"], mine["delivered"], mine["backlog"]) == ("live", 4, 1, 3)
    assert mine["sla_breaches"] == 2  # APP-1 and APP-4 (day counted in WIB)
    assert mine["lag_seconds"] == int((NOW - datetime(2025, 3, 26, 2, 0, tzinfo=UTC)).total_seconds())
    assert mine["last_success"] == "2025-04-14T02:56:00Z"
    assert (other["state"], other["failures"], other["dead_letters"], other["sla_breaches"]) == ("failing", 1, 1, 0)
    assert "401" in (other["last_error"] or "")
    assert report.regions["35.78"]["state"] == "failing"
    assert report.totals()["sla_breaches"] == 2
    stalled = build_report(ledger.engine, index, NOW + timedelta(minutes=30))
    assert stalled.services[SERVICE]["state"] == "stalled"

    from hub.health.queries import hourly_series

    series = hourly_series(ledger.engine, NOW)
    assert len(series) == 24 and series[-1]["at"] == "2025-04-14T03:00:00Z"
    hour = next(p for p in series if p["at"] == "2025-04-14T01:00:00Z")
    assert hour["delivered"] == 1
    assert hour["lag_seconds"] == int(
        (NOW - timedelta(minutes=90) - datetime(2025, 4, 9, 2, 0, tzinfo=UTC)).total_seconds()
    )


def test_the_api_serves_the_same_on_postgresql_and_sqlite(api_any_db: Api, tmp_path: Path) -> None:
    _seed(api_any_db.ledger)
    region = api_any_db.get("/api/v1/regions/35.76").json()
    assert region["state"] in ("live", "stalled")  # the seeded runs are in 2025: stalled by now
    assert region["backlog"] == 3 and region["service_count"] == len(region["services"])
    page = api_any_db.get(f"/api/v1/services/{SERVICE}").json()
    assert [a["national_id"] for a in page["applications"]] == ["APP-2", "APP-3", "APP-4", "APP-1"]
    assert {a["nik_masked"] for a in page["applications"]} == {"3576**********01"}
    other = api_any_db.get(f"/api/v1/services/{OTHER}").json()
    assert [d["reason"] for d in other["dead_letters"]] == ["unknown status code 'Z'"]
    assert api_any_db.get("/api/v1/overview").status_code == 200
    sqlite = make_api(Ledger.open(f"sqlite:///{tmp_path / 'twin.db'}"), copy_registry(tmp_path / "twin"))
    _seed(sqlite.ledger)

    def stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:  # without what depends on the clock
        return [{k: v for k, v in row.items() if k not in ("reason", "lag_seconds")} for row in rows]

    for path in ("/api/v1/regions", "/api/v1/provinces"):
        assert stable(api_any_db.get(path).json()) == stable(sqlite.get(path).json())
    sqlite.ledger.close()


def test_postgresql_in_another_session_time_zone_gives_the_same_answers(pg_url: str, tmp_path: Path) -> None:
    """Times come back in the session's zone on PostgreSQL; health reports them in UTC all the same."""
    from sqlalchemy import create_engine

    ledger = Ledger.open(pg_url)
    _seed(ledger)
    index = make_api(ledger, copy_registry(tmp_path / "r")).client.app.state.hub.index()  # type: ignore[attr-defined]
    jakarta = create_engine(pg_url, connect_args={"options": "-c timezone=Asia/Jakarta"})
    utc = build_report(ledger.engine, index, NOW)
    local = build_report(jakarta, index, NOW)
    for service in (SERVICE, OTHER):
        assert local.services[service] == utc.services[service]
    assert local.services[SERVICE]["last_success"] == "2025-04-14T02:56:00Z"
    jakarta.dispose()
    ledger.close()
