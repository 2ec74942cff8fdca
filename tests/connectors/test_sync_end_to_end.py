"""The sync engine end to end over real loopback servers: the sandbox national layer and the two REST
local styles. Checked against the sandboxes' truth: every application delivered exactly once and
acknowledged, every status change pushed exactly once and in order, walk-ins registered once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.context import SyncContext
from connectors.sync.engine import SyncEngine
from connectors.sync.packages import PackageSource
from hub.settings import Settings
from hub.wiring import connector_factory
from tests.conftest import REPO
from tests.drills.world import rest_styles

REGISTRY = REPO / "registry"


@pytest.fixture
def world(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> Iterator[dict[str, Any]]:
    packages = PackageSource(REGISTRY)
    styles = rest_styles(packages)
    servers = {"a": local_rest_indonesian, "b": local_rest_cursor}
    overrides = {packages.latest(s)["local_system"]["base_url"]: servers[style].url for s, style in styles.items()}
    settings = Settings(ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}", base_url_overrides=overrides)
    national = NationalClient(national_server.url, national_server.token)
    secrets = StaticSecrets({**local_rest_indonesian.secrets, **local_rest_cursor.secrets})
    ledger = Ledger.open(settings.ledger_url)
    ctx = SyncContext(ledger, packages, national, connector_factory(settings, secrets, national))
    yield {
        "ctx": ctx,
        "engine": SyncEngine(ctx, "w1"),
        "national": national_server,
        "local": servers,
        "services": sorted(styles),
    }
    ledger.close()


def _cycle(world: dict[str, Any], rounds: int = 1) -> list[Any]:
    results = []
    for _ in range(rounds):
        for service_id in world["services"]:
            results.append(world["engine"].run_service(service_id))
    return results


def test_applications_statuses_and_walk_ins_move_exactly_once(world: dict[str, Any]) -> None:
    national, local, services = world["national"], world["local"], world["services"]
    national.citizens(3 * len(services), seed=5, services=services)
    first = _cycle(world)
    assert not [r.fatal for r in first if r.fatal]
    for server in local.values():
        server.walk_ins(1)
        server.step(2)
    _cycle(world, rounds=2)
    for server in local.values():
        server.step(3)
    _cycle(world, rounds=2)

    truth = national.truth()
    online = [a for a in truth["applications"] if a["origin"] != "walk_in" and a["service_id"] in services]
    assert online, "the citizens applied"
    # every online application delivered and acknowledged; the local systems created each exactly once
    created: Counter[str] = Counter()
    for server in local.values():
        created.update(server.truth()["submissions"]["created_per_national_id"])
    for app in online:
        assert app["acknowledgement"] is not None, app["id"]
        assert created[app["id"]] == 1, app["id"]
    assert all(n == 1 for n in created.values())
    # every status event received once, none rejected, sequences contiguous per application
    assert truth["rejections"] == []
    assert all(e["received_count"] == 1 for e in truth["events"])
    by_app: dict[str, list[int]] = {}
    for event in truth["events"]:
        by_app.setdefault(event["application_id"], []).append(event["sequence"])
    assert by_app and all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_app.values())
    # national statuses equal the local systems' mapped statuses for every delivered application
    local_status = {
        a["national_id"]: a["national_status"]
        for s in local.values()
        for a in s.truth()["applications"]
        if a["national_id"]
    }
    for app in truth["applications"]:
        if app["id"] in local_status and app["service_id"] in services:
            assert app["status"] == local_status[app["id"]], app["id"]
    # walk-ins registered nationally once each
    walk_ins = [w for w in truth["walk_ins"] if w["service_id"] in services]
    assert walk_ins and all(w["received_count"] == 1 for w in walk_ins)
    letters = world["ctx"].ledger.dead_letters()
    assert letters == [], sorted({(d["service_id"], d["reason"]) for d in letters})


def test_faults_lose_and_duplicate_nothing(world: dict[str, Any]) -> None:
    national, local, services = world["national"], world["local"], world["services"]
    national.citizens(2 * len(services), seed=9, services=services)
    for server in local.values():
        server.faults(
            seed=3,
            error_rate=0.15,
            throttle_rate=0.1,
            retry_after_seconds=0,
            truncate_rate=0.05,
            duplicate_rate=0.2,
            out_of_order_rate=0.2,
            hang_rate=0.05,
            hang_seconds=1.0,
        )
    national.faults(seed=4, error_rate=0.1, throttle_rate=0.05, retry_after_seconds=0, hang_rate=0.03, hang_seconds=1.0)
    world["ctx"].policy = type(world["ctx"].policy)(max_attempts=50, base_seconds=0.0, cap_seconds=0.0)
    for client in {id(c): c for c in world["ctx"]._connectors.values()}.values():
        client.client.timeout = 0.5
    world["ctx"].national.http.timeout = 0.5
    for round_ in range(12):
        if round_ % 3 == 1:
            for server in local.values():
                server.step(1)
        _cycle(world)
        for connector in world["ctx"]._connectors.values():
            connector.client.timeout = 0.5
    for server in local.values():
        server.faults()
    national.faults()
    _cycle(world, rounds=3)

    truth = national.truth()
    created: Counter[str] = Counter()
    for server in local.values():
        created.update(server.truth()["submissions"]["created_per_national_id"])
    online = [a for a in truth["applications"] if a["origin"] != "walk_in" and a["service_id"] in services]
    duplicated = {a["id"]: created[a["id"]] for a in online if created[a["id"]] != 1}
    assert duplicated == {}, "delivered more or less than once"
    unacknowledged = [a["id"] for a in online if a["acknowledgement"] is None]
    assert unacknowledged == [], world["ctx"].ledger.counts()
    assert truth["rejections"] == [] or all(r["reason"] == "out_of_sequence" for r in truth["rejections"])
    by_app: dict[str, list[int]] = {}
    for event in truth["events"]:
        by_app.setdefault(event["application_id"], []).append(event["sequence"])
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_app.values())
    local_status = {
        a["national_id"]: a["national_status"]
        for s in local.values()
        for a in s.truth()["applications"]
        if a["national_id"]
    }
    for app in online:
        assert app["status"] == local_status[app["id"]], app["id"]


def test_two_workers_on_one_postgresql_ledger_deliver_once(
    pg_url: str, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> None:
    import threading

    packages = PackageSource(REGISTRY)
    styles = rest_styles(packages)
    servers = {"a": local_rest_indonesian, "b": local_rest_cursor}
    overrides = {packages.latest(s)["local_system"]["base_url"]: servers[style].url for s, style in styles.items()}
    settings = Settings(ledger_url=pg_url, base_url_overrides=overrides)
    secrets = StaticSecrets({**local_rest_indonesian.secrets, **local_rest_cursor.secrets})
    services = sorted(styles)
    national_server.citizens(4 * len(services), seed=11, services=services)
    engines = []
    for worker in ("w1", "w2"):
        national = NationalClient(national_server.url, national_server.token)
        ledger = Ledger.open(settings.ledger_url)
        ctx = SyncContext(ledger, PackageSource(REGISTRY), national, connector_factory(settings, secrets, national))
        engines.append(SyncEngine(ctx, worker))
    skipped: list[str] = []

    def work(engine: SyncEngine) -> None:
        for _ in range(3):
            for result in engine.run_once(flows=["outbound"]):
                skipped.extend(result.skipped)

    threads = [threading.Thread(target=work, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engines[0].run_once(flows=["outbound"])  # whatever a lease held back
    created: Counter[str] = Counter()
    for server in servers.values():
        created.update(server.truth()["submissions"]["created_per_national_id"])
    online = [a for a in national_server.truth()["applications"] if a["service_id"] in services]
    assert online and all(created[a["id"]] == 1 and a["acknowledgement"] for a in online)
    assert sum(created.values()) == len(online)
    for engine in engines:
        engine.ctx.close()


def test_reconciliation_reports_drift_until_the_hub_catches_up(world: dict[str, Any]) -> None:
    from datetime import UTC, datetime, timedelta

    from connectors.sync.reconcile import reconcile

    national, services = world["national"], world["services"]
    today = datetime.now(UTC).date()
    national.citizens(len(services), seed=21, services=services)
    _cycle(world)
    window = (today - timedelta(days=1), today + timedelta(days=1))
    regions = sorted({world["ctx"].packages.index["packages"][s]["region"] for s in services})
    drifts = {region: [d.describe() for d in reconcile(world["ctx"], region, *window)] for region in regions}
    assert all(not d for d in drifts.values()), drifts
    # citizens apply again; until the hub pulls, the national side has more than the hub knows
    national.citizens(3, seed=22, services=services[:1])
    region = world["ctx"].packages.index["packages"][services[0]]["region"]
    drift = reconcile(world["ctx"], region, *window)
    assert [(d.service_id, d.national_count - d.hub_count) for d in drift] == [(services[0], 3)]
    assert "hub" in drift[0].describe()
    world["engine"].run_service(services[0])
    assert reconcile(world["ctx"], region, *window) == []


def test_a_burst_larger_than_the_read_bound_inside_the_look_back_window_is_read_to_the_end(
    world: dict[str, Any],
) -> None:
    # every change falls inside the package's 300 s look-back: each run re-reads them all from the start
    service = "35.76/akta-kelahiran"
    national, local = world["national"], world["local"]["a"]
    national.citizens(40, seed=31, services=[service])
    world["engine"].run_service(service, flows=["outbound"])
    local.step(4, package_id=service)
    changes = [c for c in local.truth()["status_changes"] if c["package_id"] == service]
    assert len(changes) > 150  # more than one page (100) and than the bound below
    world["ctx"].max_records_per_run = 100
    for _ in range(6):  # more runs than a working pull needs
        world["engine"].run_service(service, flows=["inbound"])
    moved = {c["national_id"] for c in changes}
    truth = {a["id"]: a["status"] for a in national.truth()["applications"]}
    final = {c["national_id"]: c["national_status"] for c in changes}  # changes are in order
    assert {n: truth[n] for n in moved} == final
