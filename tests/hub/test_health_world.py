"""Health from real sync runs over the sandbox (national layer and two REST local systems on loopback):
onboarding before any run, live after one, failing while the national layer errors, stalled when runs
stop, SLA breaches in working days; the API, `mpphub status`, `mpphub alerts` and `/metrics` agree, and
no NIK or phone number appears unmasked in any answer."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.ledger.models import Application
from connectors.ledger.store import Ledger
from connectors.ledger.types import as_utc
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.context import SyncContext
from connectors.sync.engine import SyncEngine
from connectors.sync.packages import PackageSource
from hub.health.report import build_report
from hub.health.sla import TERMINAL_STATUSES, is_breached, wib_date
from hub.settings import Settings
from hub.wiring import connector_factory
from tests.drills.world import REGISTRY, rest_styles
from tests.hub.conftest import Api, make_api

NIK_MASK = re.compile(r"^[0-9]{4}\*{12}$")  # the region prefix only (docs/reliability.md)


@pytest.fixture
def world(
    tmp_path: Path,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Any]]:
    packages = PackageSource(REGISTRY)
    styles = rest_styles(packages)
    servers = {"a": local_rest_indonesian, "b": local_rest_cursor}
    overrides = {packages.latest(s)["local_system"]["base_url"]: servers[style].url for s, style in styles.items()}
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    settings = Settings(ledger_url=url, base_url_overrides=overrides)
    national = NationalClient(national_server.url, national_server.token)
    secrets = StaticSecrets({**local_rest_indonesian.secrets, **local_rest_cursor.secrets})
    ledger = Ledger.open(url)
    ctx = SyncContext(ledger, packages, national, connector_factory(settings, secrets, national))
    monkeypatch.setenv("MPPHUB_LEDGER_URL", url)
    monkeypatch.setenv("MPPHUB_REGISTRY", str(REGISTRY))
    yield {
        "ledger": ledger,
        "engine": SyncEngine(ctx, "w1"),
        "national": national_server,
        "local": servers,
        "services": sorted(styles),
        "api": make_api(ledger, REGISTRY),
    }
    ctx.close()  # the connectors' HTTP sessions too, not only the ledger


def _cycle(world: dict[str, Any]) -> None:
    for service_id in world["services"]:
        world["engine"].run_service(service_id)


def _report(world: dict[str, Any], minutes_later: float = 0, days_later: int = 0) -> Any:
    later = datetime.now(UTC) + timedelta(minutes=minutes_later, days=days_later)
    return build_report(world["ledger"].engine, PackageSource(REGISTRY).index, later)


def _all_answers(api: Api, services: list[str]) -> str:
    paths = ["/api/v1/overview", "/api/v1/provinces", "/api/v1/regions", "/api/v1/dead-letters", "/metrics"]
    paths += [f"/api/v1/regions/{s.partition('/')[0]}" for s in services]
    paths += [f"/api/v1/services/{s}" for s in services]
    return "\n".join(api.get(p).text for p in paths)


def test_states_follow_the_runs_and_nothing_leaks(world: dict[str, Any]) -> None:
    services, api = world["services"], world["api"]
    report = _report(world)
    assert {report.services[s]["state"] for s in services} == {"onboarding"}
    assert {r["state"] for r in report.regions.values()} == {"onboarding"}

    submissions = world["national"].citizens(2 * len(services), seed=5, services=services)
    _cycle(world)
    for server in world["local"].values():
        server.step(2)
    _cycle(world)
    report = _report(world)
    assert {report.services[s]["state"] for s in services} == {"live"}
    synced_regions = {s.partition("/")[0] for s in services}
    assert {report.regions[r]["state"] for r in synced_regions} == {"live"}

    overview = api.get("/api/v1/overview").json()
    assert overview["totals"]["applications"] == len(submissions)
    assert overview["totals"]["delivered"] == len(submissions)
    assert sum(p["delivered"] for p in overview["series"]) == len(submissions)
    assert len(overview["series"]) == 24

    # the service page shows applications with masked identifiers only
    masked = []
    for service_id in services:
        page = api.get(f"/api/v1/services/{service_id}").json()
        assert page["state"] == "live" and page["application_count"] == len(page["applications"])
        masked += [a["nik_masked"] for a in page["applications"] if a["nik_masked"]]
    assert masked and all(NIK_MASK.match(m) for m in masked)
    answers = _all_answers(api, services)
    secrets = {
        value
        for s in submissions
        for value in s.form.values()
        if isinstance(value, str) and re.fullmatch(r"(\+62|0)?[0-9]{9,16}", value)
    }
    assert secrets, "the citizens' forms hold NIKs and phone numbers"
    assert [v for v in secrets if v in answers] == []


def test_failing_then_stalled_then_breaching_its_sla(world: dict[str, Any]) -> None:
    services, api, national = world["services"], world["api"], world["national"]
    national.citizens(len(services), seed=7, services=services)
    _cycle(world)
    national.faults(error_rate=1.0, seed=1)  # the national layer answers 5xx to everything
    _cycle(world)
    national.faults()
    report = _report(world)
    failing = [s for s in services if report.services[s]["state"] == "failing"]
    assert failing == services
    row = report.services[services[0]]
    assert row["failures"] >= 1 and row["last_error"] and "retrying" in row["reason"]
    region = services[0].partition("/")[0]
    assert report.regions[region]["state"] == "failing"
    listed = api.get("/api/v1/regions", params={"state": "failing"}).json()
    assert region in {r["code"] for r in listed}
    assert all(r["last_error"] for r in listed)

    _cycle(world)  # the national layer is back: live again
    assert {_report(world).services[s]["state"] for s in services} == {"live"}

    # no run for 20 minutes: stalled, with the reason
    stalled = _report(world, minutes_later=20)
    assert {stalled.services[s]["state"] for s in services} == {"stalled"}
    assert "no successful sync run for 20 min" in stalled.regions[region]["reason"]

    # 30 days on, every application still open breaches its SLA (counted against the per-row rule)
    later = _report(world, days_later=30)
    with world["ledger"].engine.connect() as conn:
        rows = conn.execute(select(Application.service_id, Application.submitted_at, Application.national_status)).all()
    today = wib_date(datetime.now(UTC) + timedelta(days=30))
    index = PackageSource(REGISTRY).index["packages"]
    expected: dict[str, int] = {}
    for service_id, submitted_at, status in rows:
        sla = index[service_id]["sla_working_days"]
        if status not in TERMINAL_STATUSES and is_breached(wib_date(as_utc(submitted_at)), sla, today):  # type: ignore[arg-type]
            expected[service_id] = expected.get(service_id, 0) + 1
    assert expected, "some applications are still open"
    assert {s: later.services[s]["sla_breaches"] for s in expected} == expected
    assert _report(world).services[services[0]]["sla_breaches"] == 0


class _Hook(BaseHTTPRequestHandler):
    received: list[Any] = []  # noqa: RUF012 - one test's capture

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_status_alerts_and_metrics_over_the_same_facts(world: dict[str, Any], cli: Any) -> None:
    services, api = world["services"], world["api"]
    world["national"].citizens(len(services), seed=3, services=services)
    _cycle(world)
    region = services[0].partition("/")[0]

    status = cli("status", "--format", "json")
    assert status.code == 0
    document = status.json()
    assert document["totals"] == api.get("/api/v1/overview").json()["totals"]
    assert {r["code"]: r["state"] for r in document["regions"]}[region] == "live"
    text = cli("status")
    assert text.code == 0 and "REGION" in text.out and "Kota Mojokerto" in text.out and "live" in text.out
    one = cli("status", "--region", region)
    assert one.code == 0 and services[0] in one.out
    assert cli("status", "--region", region, "--format", "json").json()["code"] == region
    assert cli("status", "--region", "31").code == 2

    calm = cli("alerts")
    assert calm.code == 0 and "0 region(s) alerting" in calm.out

    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        # threshold 0 minutes: every synced region counts as stalled; backlog threshold crossed by none
        alerting = cli("alerts", "--stall-minutes", "0", "--webhook", url)
    finally:
        server.shutdown()
        server.server_close()  # the listening socket too (shutdown only ends serve_forever)
    assert alerting.code == 1 and region in alerting.out and "sync stalled" in alerting.out
    assert len(_Hook.received) == 1
    assert region in {a["region"] for a in _Hook.received[0]["alerts"]}
    assert cli("alerts", "--dead-letters", "0").code == 1  # every region has >= 0 dead letters

    metrics = api.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert f'mpphub_region_state{{region="{region}",state="live"}} 1.0' in metrics.text
    labels = set(re.findall(r"\{([^}]*)\}", metrics.text))
    assert all(set(re.findall(r"(\w+)=", label)) <= {"region", "state"} for label in labels)
    assert "/" not in "".join(labels), "no service ids in labels"
