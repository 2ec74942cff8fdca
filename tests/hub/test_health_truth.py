"""Health tells the truth (issue 13 item 5): a region's backlog counts what waits on the national side
(asked of a real sandbox national layer on loopback; "unknown", never 0, when it cannot be asked), and SLA
breaches count applications closed late, not only open ones — on SQLite and on PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, update

from connectors.ledger.models import Application, StatusEvent, SyncHealth
from connectors.ledger.store import Ledger, NewApplication
from connectors.national import NationalClient
from hub.health.national import NationalBacklog
from hub.health.report import build_report
from hub.health.view import current_report
from hub.settings import Settings
from tests.conftest import REPO
from tests.hub.conftest import Api
from tests.sandbox.fixtures_national import NationalServer

SERVICE = "35.76/akta-kelahiran"  # SLA 3 working days
REGION = "35.76"
NOW = datetime(2025, 4, 14, 3, 0, tzinfo=UTC)  # Monday after Lebaran 2025, 10:00 WIB


def _application(national_id: str, submitted: datetime, service: str = SERVICE) -> NewApplication:
    return NewApplication(
        national_id=national_id,
        service_id=service,
        region=service.partition("/")[0],
        package_version="1.0.0",
        submitted_at=submitted,
        payload={"application": {}, "form": {}},
    )


def _close(ledger: Ledger, national_id: str, status: str, at: datetime, sequence: int = 1) -> None:
    """The local system's terminal status change, as the inbound flow stores it."""
    with ledger.engine.begin() as conn:
        conn.execute(
            insert(StatusEvent).values(
                event_id=f"EV-{national_id}-{sequence}",
                national_id=national_id,
                service_id=SERVICE,
                region=REGION,
                sequence=sequence,
                local_status="SELESAI" if status == "approved" else "DITOLAK",
                national_status=status,
                changed_at=at,
                state="pushed",
                next_attempt_at=at,
                created_at=at,
                pushed_at=at,
            )
        )
        conn.execute(
            update(Application)
            .where(Application.national_id == national_id)
            .values(national_status=status, delivery="acknowledged", last_sequence=sequence)
        )


def _index(api: Api) -> dict[str, Any]:
    index: dict[str, Any] = api.client.app.state.hub.index()  # type: ignore[attr-defined]
    return index


# --- SLA breaches count applications closed late -------------------------------------------------------


def _seed_closed(ledger: Ledger) -> None:
    items = [
        _application("APP-LATE", datetime(2025, 3, 20, 2, 0, tzinfo=UTC)),  # due Tue 25 Mar
        _application("APP-ONTIME", datetime(2025, 4, 8, 2, 0, tzinfo=UTC)),  # due Fri 11 Apr
        _application("APP-WIB", datetime(2025, 4, 8, 2, 0, tzinfo=UTC)),  # due Fri 11 Apr
        _application("APP-OLD", datetime(2025, 1, 2, 2, 0, tzinfo=UTC)),  # due 7 Jan, closed long ago
        _application("APP-SAMEDAY", datetime(2025, 4, 10, 1, 0, tzinfo=UTC)),
        _application("APP-OPEN-LATE", datetime(2025, 3, 26, 2, 0, tzinfo=UTC)),  # due 9 Apr, still open
    ]
    ledger.store_new_applications(REGION, SERVICE, items, None, "c1")
    _close(ledger, "APP-LATE", "approved", datetime(2025, 4, 10, 3, 0, tzinfo=UTC))  # 12 working days late
    _close(ledger, "APP-ONTIME", "approved", datetime(2025, 4, 11, 4, 0, tzinfo=UTC))  # 11:00 WIB on the due day
    # 18:00 UTC on Friday 11 April is 01:00 WIB on Saturday 12 April: one day late in WIB, on time in UTC
    _close(ledger, "APP-WIB", "rejected", datetime(2025, 4, 11, 18, 0, tzinfo=UTC))
    _close(ledger, "APP-OLD", "approved", datetime(2025, 2, 20, 3, 0, tzinfo=UTC))  # late, but outside 30 days
    _close(ledger, "APP-SAMEDAY", "approved", datetime(2025, 4, 10, 5, 0, tzinfo=UTC))


def test_applications_closed_late_are_sla_breaches(api_any_db: Api) -> None:
    ledger = api_any_db.ledger
    _seed_closed(ledger)
    report = build_report(ledger.engine, _index(api_any_db), NOW)
    row = report.services[SERVICE]
    # APP-LATE and APP-WIB closed late within the last 30 days; APP-OLD was closed 53 days ago
    assert row["sla_closed_late"] == 2
    assert row["sla_breaches"] == 3  # and APP-OPEN-LATE, open past its due day
    assert report.regions[REGION]["sla_closed_late"] == 2 and report.regions[REGION]["sla_breaches"] == 3
    assert report.totals()["sla_breaches"] == 3 and report.totals()["sla_closed_late"] == 2
    # a month later every closing has left the window: only the open one is still a breach
    later = build_report(ledger.engine, _index(api_any_db), NOW + timedelta(days=31))
    assert (later.services[SERVICE]["sla_closed_late"], later.services[SERVICE]["sla_breaches"]) == (0, 1)


def test_the_api_shows_closed_late_breaches(api_any_db: Api) -> None:
    _seed_closed(api_any_db.ledger)
    page = api_any_db.get(f"/api/v1/services/{SERVICE}").json()
    # the API reads "now" from the clock (2026 or later): the 2025 closings are outside the window there,
    # the open one is a breach all the same
    assert page["sla_closed_late"] == 0 and page["sla_breaches"] == 1
    now = datetime.now(UTC)
    with api_any_db.ledger.engine.begin() as conn:  # submitted four weeks ago, closed last week: late
        conn.execute(
            update(Application).where(Application.national_id == "APP-LATE").values(submitted_at=now - timedelta(28))
        )
        conn.execute(
            update(StatusEvent).where(StatusEvent.national_id == "APP-LATE").values(changed_at=now - timedelta(7))
        )
    page = api_any_db.get(f"/api/v1/services/{SERVICE}").json()
    assert page["sla_closed_late"] == 1 and page["sla_breaches"] == 2
    region = api_any_db.get(f"/api/v1/regions/{REGION}").json()
    assert region["sla_closed_late"] == 1 and region["sla_breaches"] == 2
    assert api_any_db.get("/api/v1/overview").json()["totals"]["sla_closed_late"] == 1


# --- backlog counts applications waiting on the national side ------------------------------------------


def _stalled_region(ledger: Ledger, national: NationalServer) -> list[str]:
    """14 citizens applied nationally; the region's sync pulled 2 of them, delivered none, then stopped."""
    ids = national.apply(SERVICE, n=14)
    pulled = NationalClient(national.url, national.token).new_applications(REGION, SERVICE, None, limit=2)
    got = [item["application"]["id"] for item in pulled.items]
    assert len(got) == 2
    ledger.store_new_applications(REGION, SERVICE, [_application(i, NOW - timedelta(hours=3)) for i in got], None, "c1")
    run = ledger.start_run(REGION, SERVICE, "outbound", "w1")
    ledger.finish_run(run, "ok", {})
    with ledger.engine.begin() as conn:  # its last successful run was two hours ago
        conn.execute(update(SyncHealth).values(last_finished_at=NOW - timedelta(hours=2)))
        conn.execute(update(SyncHealth).values(last_success_at=NOW - timedelta(hours=2)))
    return ids


def test_a_stalled_region_counts_what_waits_nationally(
    api_any_db: Api, start_national: Callable[..., NationalServer]
) -> None:
    national = start_national()
    ledger = api_any_db.ledger
    _stalled_region(ledger, national)
    asked = NationalBacklog(lambda: NationalClient(national.url, national.token, timeout=3.0))
    report = build_report(ledger.engine, _index(api_any_db), NOW, national=asked)
    row = report.regions[REGION]
    assert row["state"] == "stalled"
    # 14 wait: 2 in the ledger (pulled, not delivered) and 12 the hub never pulled — counted once each
    assert (row["backlog"], row["national_backlog"]) == (14, 12)
    assert report.services[SERVICE]["national_backlog"] == 12
    assert "12 application(s) waiting on the national side" in row["reason"]
    assert report.national_backlog() == 12
    other = report.regions["35.78"]  # nothing waits there: a known 0, not unknown
    assert (other["backlog"], other["national_backlog"]) == (0, 0)
    without = build_report(ledger.engine, _index(api_any_db), NOW)  # not asked: unknown, never 0
    assert (without.regions[REGION]["backlog"], without.regions[REGION]["national_backlog"]) == (2, None)
    assert without.national_backlog() is None


def test_the_api_serves_the_national_backlog(
    api_any_db: Api, start_national: Callable[..., NationalServer], tmp_path: Path
) -> None:
    national = start_national()
    _stalled_region(api_any_db.ledger, national)
    hub = api_any_db.client.app.state.hub  # type: ignore[attr-defined]
    hub.national = NationalBacklog(lambda: NationalClient(national.url, national.token, timeout=3.0))
    region = api_any_db.get(f"/api/v1/regions/{REGION}").json()
    assert (region["backlog"], region["national_backlog"]) == (14, 12)
    listed = {r["code"]: r for r in api_any_db.get("/api/v1/regions").json()}
    assert listed[REGION]["national_backlog"] == 12
    assert api_any_db.get("/api/v1/overview").json()["totals"]["national_backlog"] == 12
    service = api_any_db.get(f"/api/v1/services/{SERVICE}").json()
    assert (service["backlog"], service["national_backlog"]) == (14, 12)
    hub.national = None
    assert api_any_db.get("/api/v1/overview").json()["totals"]["national_backlog"] is None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: connecting is refused


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    sock.close()


def test_an_unreachable_national_layer_is_unknown_quickly_and_not_asked_again_at_once(silent_server: str) -> None:
    calls: list[float] = []
    now = [1000.0]

    def client() -> NationalClient:
        calls.append(now[0])
        return NationalClient(silent_server, "t", timeout=0.5)

    backlog = NationalBacklog(client, cache_seconds=60, retry_seconds=30, clock=lambda: now[0])
    started = time.monotonic()
    assert backlog.counts() is None
    assert time.monotonic() - started < 3, "a silent national layer costs one short timeout"
    now[0] += 10
    assert backlog.counts(REGION) is None and len(calls) == 1, "a failure is remembered for retry_seconds"
    now[0] += 25
    assert backlog.counts() is None and len(calls) == 2


def test_answers_are_cached_and_serve_one_region(start_national: Callable[..., NationalServer]) -> None:
    national = start_national()
    national.apply(SERVICE, n=3)
    national.apply("35.78/surat-keterangan-pindah", n=2, seed=1)
    calls: list[int] = []
    now = [0.0]

    def client() -> NationalClient:
        calls.append(1)
        return NationalClient(national.url, national.token, timeout=3.0)

    backlog = NationalBacklog(client, cache_seconds=60, clock=lambda: now[0])
    everything = backlog.counts()
    assert everything is not None
    assert everything.by_service == {SERVICE: 3, "35.78/surat-keterangan-pindah": 2}
    one = backlog.counts("35.78")
    assert one is not None and one.by_service == {"35.78/surat-keterangan-pindah": 2}
    assert len(calls) == 1, "the national answer serves a region's page from the cache"
    national.apply(SERVICE, n=1, seed=2)
    now[0] += 61
    fresh = backlog.counts(REGION)
    assert fresh is not None and fresh.by_service == {SERVICE: 4} and len(calls) == 2


def test_status_says_national_backlog_unknown_when_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("MPPHUB_LEDGER_URL", url)
    monkeypatch.setenv("MPPHUB_REGISTRY", str(REPO / "registry"))
    monkeypatch.setenv("MPPHUB_NATIONAL_URL", f"http://127.0.0.1:{_closed_port()}")
    ledger = Ledger.open(url)
    ledger.store_new_applications(REGION, SERVICE, [_application("APP-1", NOW)], None, "c1")
    ledger.close()
    text = cli("status")
    assert text.code == 0
    assert "1 waiting (national backlog unknown" in text.out
    document = cli("status", "--format", "json").json()
    assert document["totals"]["national_backlog"] is None
    region = next(r for r in document["regions"] if r["code"] == REGION)
    assert (region["backlog"], region["national_backlog"]) == (1, None)
    page = cli("status", "--region", REGION)
    assert page.code == 0 and "backlog 1: national backlog unknown" in page.out


def test_status_counts_the_national_backlog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, start_national: Callable[..., NationalServer]
) -> None:
    national = start_national()
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("MPPHUB_LEDGER_URL", url)
    monkeypatch.setenv("MPPHUB_REGISTRY", str(REPO / "registry"))
    monkeypatch.setenv("MPPHUB_NATIONAL_URL", national.url)
    monkeypatch.setenv("MPPHUB_NATIONAL_TOKEN", national.token)
    ledger = Ledger.open(url)
    _stalled_region(ledger, national)
    report = current_report(ledger, Settings.from_env())
    assert report.regions[REGION]["national_backlog"] == 12
    ledger.close()
    document = cli("status", "--format", "json").json()
    region = next(r for r in document["regions"] if r["code"] == REGION)
    assert (region["backlog"], region["national_backlog"]) == (14, 12)
    assert "12 of them waiting on the national side" in cli("status").out


def test_the_api_without_a_national_layer_still_serves(api: Api) -> None:
    """``make_api`` passes no national layer: every page answers, the national part unknown."""
    regions = api.get("/api/v1/regions").json()
    assert regions and all(r["national_backlog"] is None for r in regions)
    assert api.get("/api/v1/overview").json()["totals"]["national_backlog"] is None
    assert api.get(f"/api/v1/services/{SERVICE}").json()["national_backlog"] is None
