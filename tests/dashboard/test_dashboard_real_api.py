"""The dashboard against the real hub API: ``create_app`` (what ``mpphub serve`` runs) on a real uvicorn on
port 0, over a real ledger filled by a real sync of the sandbox (national layer and REST local systems,
simulated citizens with real-looking NIKs and phone numbers). Drill-down, the stalled region in two clicks,
and no unmasked NIK or phone in any page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from connectors.ledger.models import SyncHealth, SyncRun
from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.context import SyncContext
from connectors.sync.engine import SyncEngine
from connectors.sync.packages import PackageSource
from hub.settings import Settings
from hub.wiring import connector_factory
from sandbox.serve import serve_in_thread
from tests.conftest import REPO
from tests.dashboard.conftest import assert_no_pii
from tests.drills.world import rest_styles

REGISTRY = REPO / "registry"
STALLED = "35.78"  # Kota Surabaya: its sync "stopped" two hours ago
Shoot = Callable[[Any, str], Path]


@dataclass
class Hub:
    url: str
    token: str
    ledger: Ledger
    services: list[str]


def _stop_region_two_hours_ago(ledger: Ledger, region: str) -> None:
    """Time passes for one region only: its runs (and their latest-run summary) move two hours into the
    past, as if its worker had stopped then."""
    two_hours = timedelta(hours=2)
    with ledger.engine.begin() as conn:
        latest = conn.execute(
            select(
                SyncHealth.service_id, SyncHealth.flow, SyncHealth.last_finished_at, SyncHealth.last_success_at
            ).where(SyncHealth.region == region)
        ).all()
        assert latest, f"region {region} has no latest runs"
        for service_id, flow, finished, success in latest:
            conn.execute(
                update(SyncHealth)
                .where(SyncHealth.service_id == service_id, SyncHealth.flow == flow)
                .values(
                    last_finished_at=finished - two_hours,
                    last_success_at=None if success is None else success - two_hours,
                )
            )
        rows = conn.execute(
            select(SyncRun.id, SyncRun.started_at, SyncRun.finished_at).where(SyncRun.region == region)
        ).all()
        assert rows, f"region {region} never ran"
        for run_id, started, ended in rows:
            conn.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(
                    started_at=started - two_hours,
                    finished_at=None if ended is None else ended - two_hours,
                )
            )


@pytest.fixture(scope="module")
def module_locals() -> Iterator[tuple[Any, Any]]:
    """Both REST local styles, shared by this module's tests (they only read what one sync left)."""
    from sandbox.local import rest_cursor, rest_indonesian
    from tests.sandbox import fixtures_local as local

    cursor_credentials = {"username": local.USERNAME, "password": local.PASSWORD, "api_key": local.API_KEY}
    indonesian = local._serve(
        rest_indonesian.create_app(token=local.TOKEN), {"token": local.TOKEN}, {"bearer": local.TOKEN}
    )
    cursor = local._serve(
        rest_cursor.create_app(username=local.USERNAME, password=local.PASSWORD, api_key=local.API_KEY),
        cursor_credentials,
        cursor_credentials,
    )
    yield next(indonesian), next(cursor)
    for generator in (indonesian, cursor):
        next(generator, None)  # resumes after its yield: the server stops


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, national_module_server: Any, module_locals: tuple[Any, Any]
) -> Iterator[Hub]:
    """The hub API over a ledger one real sync filled; built once for the module's read-only browser tests."""
    from hub.api.app import create_app
    from hub.tokens import create_token

    tmp_path = tmp_path_factory.mktemp("hub")
    national_server = national_module_server
    local_rest_indonesian, local_rest_cursor = module_locals

    packages = PackageSource(REGISTRY)
    servers = {"key_header": local_rest_indonesian, "lookup_by_reference": local_rest_cursor}
    # the hand-written REST packages: the two shared servers serve those only (an adopting region needs its
    # own simulated system, as the demo gives it: tests/drills/world.py rest_styles)
    rest = {s: packages.latest(s)["local_system"] for s in rest_styles(packages)}
    overrides = {local["base_url"]: servers[local["idempotency"]["strategy"]].url for local in rest.values()}
    settings = Settings(ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}", base_url_overrides=overrides)
    national = NationalClient(national_server.url, national_server.token)
    secrets = StaticSecrets({**local_rest_indonesian.secrets, **local_rest_cursor.secrets})
    ledger = Ledger.open(settings.ledger_url)
    engine = SyncEngine(SyncContext(ledger, packages, national, connector_factory(settings, secrets, national)), "w1")
    services = sorted(rest)
    national_server.citizens(3 * len(services), seed=5, services=services)
    for round_ in range(2):
        for service_id in services:
            engine.run_service(service_id)
        for server in servers.values():
            server.step(2)
            if round_ == 0:
                server.walk_ins(1)
    _stop_region_two_hours_ago(ledger, STALLED)
    token = create_token(ledger.engine, "Koordinator Nasional", "coordinator")
    server = serve_in_thread(create_app(ledger, REGISTRY, cache_seconds=0))
    yield Hub(server.url, token, ledger, services)
    server.stop()
    ledger.close()


def _sign_in(page: Any, hub: Hub) -> None:
    page.goto(f"{hub.url}/#token={hub.token}")
    page.wait_for_selector("#counter-live .counter-value")
    assert hub.token not in page.url


def test_stalled_region_and_its_reason_in_two_clicks(page: Any, hub: Hub, screenshot: Shoot) -> None:
    _sign_in(page, hub)
    assert page.inner_text("#counter-stalled .counter-value") == "1"
    page.click("#counter-stalled")  # click 1
    rows = page.locator("#regions tbody tr")
    assert rows.count() == 1
    assert "Kota Surabaya" in rows.first.inner_text()
    assert "tidak ada sinkronisasi yang berhasil selama 2 j" in rows.first.inner_text()
    rows.first.locator("a.region-link").click()  # click 2
    page.wait_for_selector("a.service-link")
    assert page.url.endswith(f"#/region/{STALLED}")
    assert "tidak ada sinkronisasi yang berhasil selama 2 j" in page.inner_text(".facts")
    reasons = [r.strip() for r in page.locator("table.data tbody [data-key='reason']").all_inner_texts()]
    assert reasons and all(r.startswith("tidak ada sinkronisasi yang berhasil selama 2 j") for r in reasons), reasons
    assert_no_pii(page, "stalled region")
    screenshot(page, "real-stalled-region")


def test_drill_down_to_a_service_shows_masked_applications_only(page: Any, hub: Hub, screenshot: Shoot) -> None:
    _sign_in(page, hub)
    totals = page.inner_text(".counters")
    assert "Daerah aktif" in totals
    assert page.locator("#regions tbody tr").count() >= 4  # 35, 35.16, 35.76, 35.78 have published services
    assert_no_pii(page, "overview")
    screenshot(page, "real-overview")

    page.click("nav.bar >> text=Provinsi")
    page.wait_for_selector("#provinces a.province-link")
    assert_no_pii(page, "provinces")
    screenshot(page, "real-provinces")
    page.click("#provinces a.province-link >> text=Jawa Timur")
    page.wait_for_selector("a.region-link >> text=Kota Mojokerto")
    assert_no_pii(page, "province")
    screenshot(page, "real-province")

    page.click("a.region-link >> text=Kota Mojokerto")
    page.wait_for_selector("a.service-link")
    assert page.url.endswith("#/region/35.76")
    assert_no_pii(page, "region")
    screenshot(page, "real-region")

    page.fill(".table-block input[type=search]", "akta kelahiran")
    page.click("a.service-link >> text=Penerbitan Akta Kelahiran")
    page.wait_for_selector("#applications tbody tr td[data-key=nik_masked]")
    assert page.url.endswith("#/service/35.76/akta-kelahiran")
    niks = [n.strip() for n in page.locator("#applications tbody td[data-key=nik_masked]").all_inner_texts()]
    assert niks and all("*" in n for n in niks if n != "—"), niks
    assert any(n != "—" for n in niks), "the sandbox's citizens have NIKs: some must show, masked"
    phones = [p.strip() for p in page.locator("#applications tbody td[data-key=phone_masked]").all_inner_texts()]
    assert all("*" in p for p in phones if p != "—"), phones
    assert_no_pii(page, "service")
    screenshot(page, "real-service")


def test_a_region_team_sees_its_own_region_only(page: Any, hub: Hub) -> None:
    from hub.tokens import create_token

    token = create_token(hub.ledger.engine, "Tim Kota Mojokerto", "region", "35.76")
    page.goto(f"{hub.url}/#token={token}")
    page.wait_for_selector("#regions tbody tr a.region-link")
    assert [c.strip() for c in page.locator("#regions tbody [data-key=code]").all_inner_texts()] == ["35.76"]
    assert "tim daerah" in page.inner_text("#whoami")
    page.evaluate("location.hash = '#/region/35.78'")
    page.wait_for_selector("#error:not([hidden])")
    assert "Gagal memuat data" in page.inner_text("#error")
    assert "Kota Surabaya" not in page.inner_text("main")
