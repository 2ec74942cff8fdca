"""Services side by side (issue 12 item 2): at most ``concurrency`` at once, at most ``per_host`` on one
local host, a slow host never holds up the others, results in service order, one national session per
thread."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import create_engine

from connectors.ledger.models import Base
from connectors.sync import engine as engine_module
from connectors.sync.concurrency import host_of, interleaved_by_host, run_side_by_side
from connectors.sync.engine import ServiceResult, SyncEngine
from connectors.sync.feeds import FeedReads


class _Packages:
    def __init__(self, hosts: dict[str, str]) -> None:
        self.hosts = hosts

    def latest(self, service_id: str) -> dict[str, Any]:
        return {
            "id": service_id,
            "region": "35.76",
            "local_system": {"kind": "rest", "base_url": f"https://{self.hosts[service_id]}/api"},
        }


class _National:
    clones = 0

    def clone(self) -> _National:
        _National.clones += 1
        return _National()


class _Ledger:
    """What a cycle asks the ledger before and after its services: nothing held, the cycle's view read
    from an empty ledger, and its end (idle runs and history) written."""

    ends = 0

    def __init__(self) -> None:
        self.engine = create_engine("sqlite://")
        Base.metadata.create_all(self.engine)

    def streams_held_by_others(self, owner: str, ending: str = "") -> dict[str, Any]:
        return {}

    def end_cycle(self, failures_by_region: dict[str, int] | None) -> tuple[int, int]:
        _Ledger.ends += 1
        return 0, len(failures_by_region or {})


class _Ctx:
    """The parts of a SyncContext the side-by-side runner reads."""

    def __init__(self, hosts: dict[str, str], concurrency: int, per_host: int) -> None:
        self.ledger = _Ledger()
        self.worker = ""
        self.feed_reads = FeedReads()
        self.packages = _Packages(hosts)
        self.national = _National()
        self.concurrency = concurrency
        self.per_host = per_host
        self.region_reads = False  # the national feed per service: no package index to find regions in


def test_bounds_per_worker_and_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # host a is slow (0.3 s per service), hosts b..e are quick (0.05 s)
    hosts = {f"a{i}": "a.go.id" for i in range(6)} | {f"{h}{i}": f"{h}.go.id" for h in "bcde" for i in range(4)}
    running: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    lock = threading.Lock()
    finished_at: dict[str, float] = {}

    def run_service(self: SyncEngine, service_id: str, flows: Any, held: Any = None) -> ServiceResult:
        host = hosts[service_id]
        with lock:
            running[host] += 1
            running["all"] += 1
            peak[host] = max(peak[host], running[host])
            peak["all"] = max(peak["all"], running["all"])
        time.sleep(0.3 if host == "a.go.id" else 0.05)
        with lock:
            running[host] -= 1
            running["all"] -= 1
            finished_at[service_id] = time.monotonic()
        return ServiceResult(service_id, "35.76")

    monkeypatch.setattr(engine_module.SyncEngine, "run_service", run_service)
    monkeypatch.setattr("dataclasses.replace", lambda ctx, **changes: ctx)  # the stub context is no dataclass
    ctx = _Ctx(hosts, concurrency=4, per_host=2)
    start = time.monotonic()
    results = run_side_by_side(SyncEngine(ctx, "w"), sorted(hosts), ["outbound"])  # type: ignore[arg-type]
    assert [r.service_id for r in results] == sorted(hosts)  # service order, whatever finished first
    assert peak["all"] == 4  # side by side, up to the bound
    assert peak["a.go.id"] == 2 and all(peak[f"{h}.go.id"] <= 2 for h in "bcde")
    quick_done = max(t for s, t in finished_at.items() if not s.startswith("a")) - start
    assert quick_done < 0.9 * (max(finished_at.values()) - start)  # the slow host did not hold the others up


def test_hosts_take_turns_and_keep_their_order() -> None:
    hosts = {"a1": "a", "a2": "a", "a3": "a", "b1": "b", "c1": "c", "c2": "c"}
    assert interleaved_by_host(list(hosts), hosts) == ["a1", "b1", "c1", "a2", "c2", "a3"]
    assert (
        host_of({"local_system": {"kind": "rest", "base_url": "https://siak.kotamojokerto.go.id/api"}})
        == "siak.kotamojokerto.go.id"
    )
    assert host_of({"region": "35.16", "local_system": {"kind": "sql"}}) == "region:35.16"


def test_one_service_runs_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """concurrency 1 is the sequential engine, exactly."""
    calls: list[str] = []

    def run_service(self: SyncEngine, service_id: str, flows: Any, held: Any = None) -> ServiceResult:
        calls.append(service_id)
        return ServiceResult(service_id, "35.76")

    monkeypatch.setattr(engine_module.SyncEngine, "run_service", run_service)

    class Packages:
        def service_ids(self, region: Any, service: Any) -> list[str]:
            return ["x/1", "x/2"]

    ctx = _Ctx({}, concurrency=1, per_host=2)
    ctx.packages = Packages()  # type: ignore[assignment]
    ends = _Ledger.ends
    SyncEngine(ctx, "w").run_once()  # type: ignore[arg-type]
    assert calls == ["x/1", "x/2"]
    assert _Ledger.ends == ends + 1, "the cycle's end is written once (its idle runs and history)"
