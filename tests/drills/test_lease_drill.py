"""Drill — two workers on one stream, and a run that outlives its lease.

Worker A works a backlog against slow local systems (and a slow national layer) under a lease of a few
seconds, so that without renewal its run outlives the lease; worker B keeps trying the same stream
meanwhile, as a second scheduler or a restarted worker would. For a service whose local system honours
an ``Idempotency-Key`` (style a) and one that is looked up by reference (style b), on SQLite and
PostgreSQL, outbound and inbound:

- renewal: A keeps its lease by working (every fenced write and every step renews it), B is told who
  holds the stream and until when, and nothing is created, acknowledged or pushed twice;
- fencing: when A is held up inside one step past its lease (a reply that comes back late), B takes over,
  A's late write is refused, A stops that flow cleanly (``lost``, not fatal) and still nothing is doubled.

Before fencing and renewal (the engine took the lease once and never checked it) this drill found
duplicate creates, acknowledgement conflicts and events pushed twice.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.sync import inbound
from connectors.sync.engine import ServiceResult
from tests.drills.support import report
from tests.drills.world import World, build_world, delivery_problems, event_problems, held, ledger_url

# applications per service: enough for A's run to outlive the lease (a delivery with files takes longer)
BACKLOG = {"35.76/akta-kelahiran": 25}
BACKLOG_WITH_FILES = 8
LEASE = 4.0  # seconds: a few, so that a backlog of slow calls outlives it; above one delivery with its files


def _backlog(service_id: str) -> int:
    return BACKLOG.get(service_id, BACKLOG_WITH_FILES)


def _workers(url: str, national: Any, a: Any, b: Any) -> tuple[World, World]:
    """Worker A ('w1') and worker B ('w2') over one ledger, one service of each local style."""
    first = build_world(url, national, a, b, worker="w1", limit=2)
    second = build_world(url, national, a, b, worker="w2", limit=2)
    for world in (first, second):
        world.ctx.lease_seconds = LEASE
    first.cycle()  # catalogue published, feeds started, connectors built
    second.cycle()
    first.unthrottle()
    second.unthrottle()
    return first, second


def _race(
    first: World, second: World, service_id: str, flows: tuple[str, ...]
) -> tuple[ServiceResult, list[ServiceResult]]:
    """Run A over one service in a thread while B tries the same service every 0.3 s until A is done."""
    outcome: dict[str, ServiceResult] = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("a", first.engine.run_service(service_id, flows)))
    worker.start()
    tries: list[ServiceResult] = []
    while worker.is_alive():
        time.sleep(0.3)
        tries.append(second.engine.run_service(service_id, flows))
    worker.join()
    return outcome["a"], tries


def _conflicts(national: Any) -> int:
    return int(national.truth()["counters"].get("acknowledgement_conflicts", 0))


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_a_run_longer_than_its_lease_keeps_it_and_doubles_nothing(
    ledger_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    first, second = _workers(
        ledger_url(ledger_kind, tmp_path, request), national_server, local_rest_indonesian, local_rest_cursor
    )
    try:
        for index, service_id in enumerate(first.services):
            national_server.citizens(_backlog(service_id), seed=700 + index, services=[service_id])
        for server in first.local.values():
            server.faults(latency_ms=200)  # 0.2-1 s per delivery with its files: the backlog outlives the lease
        for service_id in first.services:
            started = time.monotonic()
            mine, theirs = _race(first, second, service_id, ("outbound",))
            took = time.monotonic() - started
            report("lease", f"{ledger_kind} {service_id} outbound: A took {took:.1f} s under a {LEASE:g} s lease")
            assert took > LEASE, "the run must outlive one lease for the drill to mean anything"
            assert mine.fatal is None and not mine.lost and not mine.errors, mine
            assert mine.counts["deliver.delivered"] == _backlog(service_id)
            taken = sum(r.counts["deliver.delivered"] + r.counts["deliver.found_by_lookup"] for r in theirs)
            assert taken == 0, "B delivered from the queue A was working"
            held_by = [r.held_by["outbound"] for r in theirs if "outbound" in r.held_by]
            assert held_by and all(owner == "w1" for owner, _ in held_by), "B is told who holds the stream"
        assert held(delivery_problems(first)), delivery_problems(first)
        assert _conflicts(national_server) == 0

        # inbound: officers work; pushes in small batches to a slow national layer outlive the lease
        for server in first.local.values():
            server.faults()
            server.step(2)
        national_server.faults(latency_ms=500)
        for service_id in first.services:
            # small batches (fewer events for the style whose officers change less) so the push outlives the lease
            monkeypatch.setattr(inbound, "BATCH", 4 if service_id in BACKLOG else 2)
            started = time.monotonic()
            mine, theirs = _race(first, second, service_id, ("inbound",))
            took = time.monotonic() - started
            report(
                "lease", f"{ledger_kind} {service_id} inbound: A took {took:.1f} s, pushed {mine.counts['push.pushed']}"
            )
            assert took > LEASE, "the push must outlive one lease for the drill to mean anything"
            assert mine.fatal is None and not mine.lost and not mine.errors, mine
            assert sum(r.counts["push.pushed"] for r in theirs) == 0, "B pushed what A was pushing"
        national_server.faults()
        first.cycle(flows=("inbound",))  # anything not yet due (an out-of-sequence retry) goes now
        problems = event_problems(first)
        assert held(problems), problems
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_a_worker_held_up_past_its_lease_is_fenced_out(
    ledger_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    first, second = _workers(
        ledger_url(ledger_kind, tmp_path, request), national_server, local_rest_indonesian, local_rest_cursor
    )
    try:
        for index, service_id in enumerate(first.services):
            national_server.citizens(3, seed=800 + index, services=[service_id])
        first.cycle(flows=("outbound",))  # build A's connectors; delivers these three
        for index, service_id in enumerate(first.services):
            national_server.citizens(3, seed=900 + index, services=[service_id])
        for service_id in first.services:
            package = first.ctx.packages.latest(service_id)
            connector = first.ctx.connector(package)
            real_submit = connector.submit
            delayed = {"done": False}

            def late_reply(*args: Any, _submit: Any = real_submit, _flag: dict[str, bool] = delayed) -> Any:
                reference = _submit(*args)  # the write arrives ...
                if not _flag["done"]:
                    _flag["done"] = True
                    time.sleep(LEASE + 1.5)  # ... and its reply comes back after the lease ran out
                return reference

            connector.submit = late_reply  # type: ignore[method-assign,assignment]
            mine, theirs = _race(first, second, service_id, ("outbound",))
            connector.submit = real_submit  # type: ignore[method-assign]
            report(
                "lease",
                f"{ledger_kind} {service_id}: A lost={mine.lost}; B delivered "
                f"{sum(r.counts['deliver.delivered'] + r.counts['deliver.found_by_lookup'] for r in theirs)}",
            )
            assert mine.lost == ["outbound"], "A must notice that B took the stream over"
            assert mine.fatal is None and not mine.errors
            assert any(r.counts.total() for r in theirs), "B took over once the lease expired"
        second.cycle(flows=("outbound",))
        assert held(delivery_problems(first)), delivery_problems(first)
        assert _conflicts(national_server) == 0
    finally:
        first.close()
        second.close()
