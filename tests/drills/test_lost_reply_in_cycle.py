"""One lost reply is resolved within the same cycle (issue 12, item 3). A write reaches the local system but
its answer is lost (``LostReply``: the outcome is unknown). The hub tries that application again after a
short backoff inside the cycle — looking it up first (a lookup-by-reference system) or resending with the
same Idempotency-Key — and then delivers the applications queued behind it, in order. Before, the lost one
waited a whole cycle (54 cycles for 60 applications against a system that loses replies).

The second drill is the hole the first version of this retry opened: after a lost reply, the in-cycle
lookup itself fails with a plain "not sent". The delivery must stay 'sending', so that the next attempt
looks again instead of writing a second copy into a system that ignores idempotency keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.errors import LostReply, NotSent
from connectors.ledger.types import reset_clock, shift_clock
from tests.drills.support import report
from tests.drills.world import World, build_world, delivery_problems, held, ledger_url, rest_styles


def _lose_first_reply(world: World, lost: dict[str, int]) -> None:
    """Every service's first write arrives, and its reply is lost."""
    for service_id in world.services:
        connector = world.ctx.connector(world.ctx.packages.latest(service_id))
        real_submit = connector.submit

        def submit(*args: Any, _submit: Any = real_submit, _service: str = service_id) -> Any:
            reference = _submit(*args)  # the local system has it ...
            if _service not in lost:
                lost[_service] = 1
                raise LostReply("POST /permohonan: no answer within 1 s", write=True)  # ... the reply is lost
            return reference

        connector.submit = submit  # type: ignore[method-assign,assignment]


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_one_lost_reply_costs_seconds_not_a_cycle(
    ledger_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    url = ledger_url(ledger_kind, tmp_path, request)
    world = build_world(url, national_server, local_rest_indonesian, local_rest_cursor, limit=2)
    try:
        world.cycle()  # catalogue, feeds, connectors
        world.unthrottle()
        lost: dict[str, int] = {}
        _lose_first_reply(world, lost)
        national_server.citizens(4, seed=31, services=world.services)

        results = world.cycle(flows=("outbound",))  # ONE cycle
        assert sorted(lost) == sorted(world.services), "every service lost one reply"
        problems = delivery_problems(world)
        assert held(problems), problems  # created once, acknowledged, in submission order: in this cycle
        for result in results:
            assert result.counts["deliver.lost_reply_retried_in_cycle"] == 1, result.counts
            assert not result.errors, result.errors
        by_lookup = sum(r.counts["deliver.found_by_lookup"] for r in results)
        assert by_lookup == 1, "the lookup-by-reference service found its write instead of sending it again"
        report("lost-reply", f"{ledger_kind}: {len(world.services)} lost replies resolved in one cycle")
    finally:
        world.close()


def test_a_failed_lookup_after_a_lost_reply_never_resends(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    world = build_world(
        ledger_url("sqlite", tmp_path, request), national_server, local_rest_indonesian, local_rest_cursor
    )
    try:
        styles = rest_styles(world.ctx.packages)
        world.services = [next(s for s in world.services if styles[s] == "b")]  # lookup by reference
        world.cycle()
        world.unthrottle()
        lost: dict[str, int] = {}
        _lose_first_reply(world, lost)
        connector = world.ctx.connector(world.ctx.packages.latest(world.services[0]))
        real_lookup, failed = connector.lookup, list[int]()

        def lookup(*args: Any) -> Any:
            if not failed:
                failed.append(1)
                raise NotSent("GET /permohonan: connection failed")  # a read that never left: not unknown
            return real_lookup(*args)

        connector.lookup = lookup  # type: ignore[method-assign,assignment]
        national_server.citizens(2, seed=37, services=world.services)

        first = world.cycle(flows=("outbound",))
        assert failed and lost, "the reply was lost, then the lookup failed"
        assert first[0].counts["deliver.retry"] == 1, first[0].counts  # the queue waits for the next cycle
        shift_clock(3600)  # past its backoff
        try:
            world.cycle(flows=("outbound",))
        finally:
            reset_clock()
        problems = delivery_problems(world)
        assert held(problems), problems  # the one whose reply was lost was found by lookup, not sent twice
    finally:
        world.close()
