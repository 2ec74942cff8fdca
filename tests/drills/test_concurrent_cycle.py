"""Services side by side keep every guarantee (issue 12 item 2): two workers, each running eight services at
once (at most two per local host), cycle after cycle on one ledger while citizens apply and officers work;
then every application is created locally once, in submission order per service, and acknowledged, and
every status change reaches the national layer once and in sequence — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from connectors.sync.engine import FLOWS, SyncEngine
from tests.drills.support import report
from tests.drills.world import build_world, delivery_problems, event_problems, held, ledger_url


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_two_concurrent_workers_deliver_everything_once_in_order(
    ledger_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    world = build_world(
        ledger_url(ledger_kind, tmp_path, request), national_server, local_rest_indonesian, local_rest_cursor
    )
    try:
        world.ctx.concurrency, world.ctx.per_host = 8, 2
        world.cycle(flows=("catalogue",))
        world.unthrottle()
        second = SyncEngine(world.ctx, "w2")
        failures: list[BaseException] = []

        def cycles(engine: SyncEngine) -> None:
            try:
                for _ in range(3):
                    for result in engine.run_once(flows=FLOWS, services=world.services):
                        assert not result.fatal, result.fatal
            except BaseException as exc:  # reported below: a worker thread must not die silently
                failures.append(exc)

        for round_ in range(3):
            national_server.citizens(2 * len(world.services), seed=40 + round_, services=world.services)
            for server in world.local.values():
                server.step(1)
            workers = [threading.Thread(target=cycles, args=(e,)) for e in (world.engine, second)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            assert not failures, failures
        for server in world.local.values():
            server.step(2)
        for _ in range(2):
            world.engine.run_once(flows=FLOWS, services=world.services)
        delivered, events = delivery_problems(world), event_problems(world)
        assert held(delivered), delivered
        assert held(events), events
        report("concurrency", f"{ledger_kind}: {len(world.services)} services, 2 workers x 8 side by side: held")
    finally:
        world.close()
