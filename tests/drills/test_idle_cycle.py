"""An idle cycle is nearly free (issue 12, item 1): when nothing is new on either side, a cycle writes no run
row and takes no lease; the ledger is unchanged except each stream's bounded health row (its last successful
poll, updated in place) and its regions' row of the hour, all of them in one transaction at the cycle's end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.drills.world import build_world, ledger_snapshot, ledger_url


class _Commits:
    count = 0


def _count_commits(engine: Engine) -> _Commits:
    """Counts the transactions that commit on ``engine`` from now on (reads roll back or only close)."""
    counter = _Commits()

    def on_commit(_conn: object) -> None:
        counter.count += 1

    event.listen(engine, "commit", on_commit)
    return counter


# one row per stream, and one per region and hour (its history chart), each updated in place
BOUNDED = {"sync_health", "region_history"}


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_an_idle_cycle_leaves_the_ledger_unchanged_but_its_health_rows(
    ledger_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    world = build_world(
        ledger_url(ledger_kind, tmp_path, request), national_server, local_rest_indonesian, local_rest_cursor, limit=4
    )
    try:
        world.cycle()
        national_server.citizens(2, seed=5, services=world.services)
        world.cycle(rounds=2)  # deliver, acknowledge, read the statuses: everything settles
        before = ledger_snapshot(world.ledger)
        health_before = {row[:2]: row for row in before["sync_health"]}
        assert before["sync_run"], "working cycles record their runs"

        commits = _count_commits(world.ledger.engine)
        results = world.cycle()
        assert all(not r.errors and not r.fatal for r in results)
        # one cycle (SyncEngine.run_once): its idle runs and its regions' hour of history in one transaction
        # (Ledger.end_cycle), nothing else (no lease taken, given back or renewed, no cursor or run row written)
        assert commits.count == 1, f"{commits.count} transactions for an idle cycle of {len(world.services)} services"
        after = ledger_snapshot(world.ledger)
        changed = sorted(name for name in before if before[name] != after[name])
        assert set(changed) <= BOUNDED, f"an idle cycle changed {changed}"
        assert len(after["sync_run"]) == len(before["sync_run"]), "no run row for an idle flow"
        assert len(after["sync_health"]) == len(before["sync_health"]), "health is bounded: one row per stream"
        regions = {world.ctx.packages.index["packages"][s]["region"] for s in world.services}
        # the same hour's rows updated in place (a new one only when the cycle began a new hour)
        assert len(after["region_history"]) - len(before["region_history"]) <= len(regions)
        assert {row[:2]: row for row in after["sync_health"]} != health_before, "the last successful poll moved"
    finally:
        world.close()
