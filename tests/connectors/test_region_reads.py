"""The national feed read once per cycle per region, for all its services (issue 12 item 2), over real
loopback servers: the sandbox national layer and the two REST local styles. Counted at the national
client (every call is a real HTTP request) and checked against the sandboxes' truth."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from connectors.national import ApplicationPage, NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.context import SyncContext
from connectors.sync.engine import SyncEngine
from connectors.sync.packages import PackageSource
from connectors.sync.region_reads import region_key
from hub.settings import Settings
from hub.wiring import connector_factory
from tests.conftest import REPO
from tests.drills.world import rest_styles

REGISTRY = REPO / "registry"


class CountingNational(NationalClient):
    """The real national client, counting its feed reads by (region, service filter)."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(base_url, token)
        self.reads: Counter[tuple[str, str | None]] = Counter()
        self._lock = threading.Lock()

    def new_applications(
        self, region: str, service_id: str | None, cursor: str | None, limit: int = 100
    ) -> ApplicationPage:
        with self._lock:
            self.reads[(region, service_id)] += 1
        return super().new_applications(region, service_id, cursor, limit)


def _context(url: str, world: dict[str, Any]) -> SyncContext:
    settings = Settings(ledger_url=url, base_url_overrides=world["overrides"])
    national = CountingNational(world["national"].url, world["national"].token)
    return SyncContext(
        Ledger.open(url), world["packages"], national, connector_factory(settings, world["secrets"], national)
    )


@pytest.fixture
def world(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> Iterator[dict[str, Any]]:
    packages = PackageSource(REGISTRY)
    styles = rest_styles(packages)
    servers = {"a": local_rest_indonesian, "b": local_rest_cursor}
    world: dict[str, Any] = {
        "packages": packages,
        "overrides": {
            packages.latest(s)["local_system"]["base_url"]: servers[style].url for s, style in styles.items()
        },
        "secrets": StaticSecrets({**local_rest_indonesian.secrets, **local_rest_cursor.secrets}),
        "national": national_server,
        "local": servers,
        "services": sorted(styles),
        "url": f"sqlite:///{tmp_path / 'ledger.db'}",
        "contexts": [],
    }
    world["ctx"] = _context(world["url"], world)
    world["contexts"].append(world["ctx"])
    yield world
    for ctx in world["contexts"]:
        ctx.close()


def _regions(world: dict[str, Any]) -> set[str]:
    entries = world["packages"].index["packages"]
    return {entries[s]["region"] for s in world["services"]}


def _created(world: dict[str, Any]) -> Counter[str]:
    created: Counter[str] = Counter()
    for server in world["local"].values():
        created.update(server.truth()["submissions"]["created_per_national_id"])
    return created


def _online(world: dict[str, Any]) -> list[dict[str, Any]]:
    truth = world["national"].truth()
    return [a for a in truth["applications"] if a["origin"] != "walk_in" and a["service_id"] in world["services"]]


def test_a_cycle_reads_each_regions_feed_once_and_delivers_every_service_exactly_once(world: dict[str, Any]) -> None:
    regions = _regions(world)
    assert len(world["services"]) > len(regions), "the sample registry has regions of several services"
    world["national"].citizens(len(world["services"]), seed=11, services=world["services"])
    engine = SyncEngine(world["ctx"], "w1")
    engine.run_once(services=world["services"], flows=("outbound",))
    reads = world["ctx"].national.reads
    # unfiltered, per region: one read each (the citizens' applications fit in one page of 100)
    assert all(service is None for _, service in reads), reads
    assert {region for region, _ in reads} == regions
    assert all(count == 1 for count in reads.values()), reads

    online = _online(world)
    assert online
    created = _created(world)
    for app in online:
        assert created[app["id"]] == 1, app["id"]
    assert all(app["acknowledgement"] is not None for app in _online(world))

    # idle: the next cycle asks the national layer once per region, and the ledger's cursors are the region's
    reads.clear()
    engine.run_once(services=world["services"], flows=("outbound",))
    assert sum(reads.values()) == len(regions)
    assert all(world["ctx"].ledger.cursor(region_key(region), "outbound") for region in regions)
    assert _created(world) == created


def test_per_service_reads_stay_available(world: dict[str, Any]) -> None:
    world["ctx"].region_reads = False  # MPPHUB_NATIONAL_READS=service
    world["national"].citizens(len(world["services"]) // 2, seed=12, services=world["services"])
    SyncEngine(world["ctx"], "w1").run_once(services=world["services"], flows=("outbound",))
    reads = world["ctx"].national.reads
    assert {service for _, service in reads} == set(world["services"])
    created = _created(world)
    assert all(created[app["id"]] == 1 for app in _online(world))


def test_two_workers_reading_one_region_at_once_deliver_each_application_once(world: dict[str, Any]) -> None:
    world["national"].citizens(2 * len(world["services"]), seed=13, services=world["services"])
    second = _context(world["url"], world)
    world["contexts"].append(second)
    engines = [SyncEngine(world["ctx"], "w1"), SyncEngine(second, "w2")]
    half = len(world["services"]) // 2
    # each worker has its batch of the services (an Airflow task each), both read the same regions' feeds
    batches = [world["services"][:half], world["services"][half:]]
    for _ in range(2):
        threads = [
            threading.Thread(target=engine.run_once, kwargs={"services": batch, "flows": ("outbound",)})
            for engine, batch in zip(engines, batches, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    online = _online(world)
    created = _created(world)
    for app in online:
        assert created[app["id"]] == 1, app["id"]
        assert app["acknowledgement"] is not None, app["id"]
    assert all(n == 1 for n in created.values())


class _ForeignFeed(NationalClient):
    """A national layer that lists, in one region's feed, an application of another region."""

    def __init__(self, region: str, service_id: str) -> None:
        super().__init__("http://127.0.0.1:9", "unused")
        self.region, self.service_id = region, service_id

    def new_applications(
        self, region: str, service_id: str | None, cursor: str | None, limit: int = 100
    ) -> ApplicationPage:
        envelope = {
            "id": "NAT-FOREIGN-1",
            "service_id": self.service_id,
            "package_version": "1.0.0",
            "region": "99.99",
            "submitted_at": "2026-12-01T08:00:00Z",
            "channel": "web",
        }
        return ApplicationPage([{"application": envelope, "form": {}}], "c1", False)


def test_an_application_of_another_region_is_held_never_stored(tmp_path: Path) -> None:
    packages = PackageSource(REGISTRY)
    service_id = packages.service_ids()[0]
    region = packages.index["packages"][service_id]["region"]
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        ctx = SyncContext(ledger, packages, _ForeignFeed(region, service_id), lambda package: None)  # type: ignore[arg-type, return-value]
        engine = SyncEngine(ctx, "w1")
        result = engine.run_service(service_id, flows=("outbound",))
        assert result.errors == []
        assert result.counts["pull.foreign"] == 1
        assert ledger.due_deliveries(service_id, 10) == []
        letters = ledger.dead_letters()
        assert [(d["service_id"], d["flow"]) for d in letters] == [(region_key(region), "outbound")]
        assert "another region" in letters[0]["reason"]
        assert ledger.cursor(region_key(region), "outbound") == "c1"  # the read goes on past it
    finally:
        ledger.close()


def test_a_cycle_begun_by_another_engine_mid_read_still_wakes_the_reads_waiters() -> None:
    """Two engines on one context: the second begins a cycle while the first's region read is going; the
    first's services waiting for that read are woken when it ends (they used to wait for good)."""
    from connectors.sync.feeds import FeedReads

    reads = FeedReads()
    reads.new_cycle()
    key = region_key("35.76")
    claimed, release = threading.Event(), threading.Event()
    outcome: list[bool] = []

    def reader() -> None:
        assert reads.claim(key)
        claimed.set()
        release.wait(5)
        reads.done(key)

    def member() -> None:
        outcome.append(reads.claim(key))

    first = threading.Thread(target=reader)
    first.start()
    claimed.wait(5)
    waiting = threading.Thread(target=member)
    waiting.start()
    time.sleep(0.2)  # the member waits for the first read
    reads.new_cycle()  # the other engine's cycle: its own read of the region

    def other_engine() -> None:
        assert reads.claim(key)
        reads.done(key)

    other = threading.Thread(target=other_engine)
    other.start()
    other.join(5)
    release.set()
    first.join(5)
    waiting.join(5)
    assert not waiting.is_alive(), "the member still waits for a read that has ended"
    assert outcome == [False]
