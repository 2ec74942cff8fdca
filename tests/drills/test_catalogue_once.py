"""The catalogue is not re-sent every cycle (issue 12 item 1): once the national layer has a service's
version, the catalogue flow takes no lease and sends nothing until the registry has a newer version or a day
has passed; then it is sent again. Before, every idle service PUT its whole package every cycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.drills.world import build_world, ledger_snapshot, ledger_url


def test_a_published_version_is_sent_once_a_day(
    tmp_path: Path, request: Any, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> None:
    world = build_world(
        ledger_url("sqlite", tmp_path, request), national_server, local_rest_indonesian, local_rest_cursor, limit=2
    )
    try:
        first = world.cycle(flows=("catalogue",))
        assert all(sum(r.counts.values()) == 1 for r in first), [r.counts for r in first]  # created
        leases_before = ledger_snapshot(world.ledger)["stream_lease"]
        again = world.cycle(flows=("catalogue",))
        assert [dict(r.counts) for r in again] == [{}, {}]  # nothing sent
        assert ledger_snapshot(world.ledger)["stream_lease"] == leases_before  # no lease taken, none renewed

        # a newer version in the registry (its sha256 in the index changes): sent at once
        service = world.services[0]
        entry = world.ctx.packages.index["packages"][service]
        entry["versions"][entry["latest"]]["sha256"] = "0" * 64
        moved = world.cycle(flows=("catalogue",))
        assert [sum(r.counts.values()) for r in moved] == [1, 0]

        world.let_pass(25 * 3600)  # a day later: re-asserted, in case the national layer lost an entry
        later = world.cycle(flows=("catalogue",))
        assert [r.counts.get("catalogue.unchanged", 0) for r in later] == [1, 1], [r.counts for r in later]
    finally:
        world.close()
