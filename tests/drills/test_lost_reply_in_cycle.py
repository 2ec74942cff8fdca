"""One lost reply is resolved within the same cycle (issue 12, item 3): a write arrives at the local system
but its answer is lost (a timeout: the outcome is unknown). The hub tries that application again after a
short backoff inside the cycle — looking it up first (a lookup-by-reference system) or resending with the
same Idempotency-Key — and then delivers the applications queued behind it, in order. One cycle ends with
every application created once and acknowledged; before, the lost one waited a whole cycle (or more)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.errors import RetriableError
from tests.drills.support import report
from tests.drills.world import build_world, delivery_problems, held, sqlite_url


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_one_lost_reply_costs_seconds_not_a_cycle(
    ledger_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    url = sqlite_url(tmp_path) if ledger_kind == "sqlite" else str(request.getfixturevalue("pg_url"))
    world = build_world(url, national_server, local_rest_indonesian, local_rest_cursor, limit=2)
    try:
        world.cycle()  # catalogue, feeds, connectors
        world.unthrottle()
        lost: dict[str, int] = {}
        for service_id in world.services:
            connector = world.ctx.connector(world.ctx.packages.latest(service_id))
            real_submit = connector.submit

            def lose_first_reply(*args: Any, _submit: Any = real_submit, _service: str = service_id) -> Any:
                reference = _submit(*args)  # the local system has it ...
                if _service not in lost:
                    lost[_service] = 1
                    raise RetriableError("no answer within 1 s", outcome_unknown=True)  # ... the reply is lost
                return reference

            connector.submit = lose_first_reply  # type: ignore[method-assign,assignment]
        national_server.citizens(4, seed=31, services=world.services)

        results = world.cycle(flows=("outbound",))  # ONE cycle
        assert sorted(lost) == sorted(world.services), "every service lost one reply"
        problems = delivery_problems(world)
        assert held(problems), problems  # created once, acknowledged, in submission order: in this cycle
        for result in results:
            assert result.counts["deliver.unknown_retried_in_cycle"] == 1, result.counts
            assert not result.errors, result.errors
        by_lookup = sum(r.counts["deliver.found_by_lookup"] for r in results)
        assert by_lookup == 1, "the lookup-by-reference service found its write instead of sending it again"
        report("lost-reply", f"{ledger_kind}: {len(world.services)} lost replies resolved in one cycle")
    finally:
        world.close()
