"""One lost reply is resolved within the same cycle (issue 12, item 3). A write reaches the local system but
its answer is lost (``LostReply``: the outcome is unknown). The hub tries that application again after a
short backoff inside the cycle — looking it up first (a lookup-by-reference system) or resending with the
same Idempotency-Key — and then delivers the applications queued behind it, in order. Before, the lost one
waited a whole cycle (54 cycles for 60 applications against a system that loses replies).

The second drill is the hole the first version of this retry opened: after a lost reply, the in-cycle
lookup itself fails with a plain "not sent". The delivery must stay 'sending', so that the next attempt
looks again instead of writing a second copy into a system that ignores idempotency keys.

Both run over the PHP-style system too (sandbox/local/rest_form.py: form posts, answers inside HTTP 200),
which also answers a lookup "Server sibuk" with HTTP 200: that must never read as "not found"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.errors import LostReply, NotSent
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
    local_rest_form: Any,
) -> None:
    url = ledger_url(ledger_kind, tmp_path, request)
    world = build_world(
        url, national_server, local_rest_indonesian, local_rest_cursor, limit=3, local_d=local_rest_form
    )
    try:
        world.cycle()  # catalogue, feeds, connectors
        world.unthrottle()
        lost: dict[str, int] = {}
        _lose_first_reply(world, lost)
        styles = rest_styles(world.ctx.packages, form=True)
        assert sorted(styles[s] for s in world.services) == ["a", "b", "d"], "one service of every style"
        national_server.citizens(6, seed=31, services=world.services)

        results = world.cycle(flows=("outbound",))  # ONE cycle
        assert sorted(lost) == sorted(world.services), "every service lost one reply"
        problems = delivery_problems(world)
        assert held(problems), problems  # created once, acknowledged, in submission order: in this cycle
        for result in results:
            assert result.counts["deliver.lost_reply_retried_in_cycle"] == 1, result.counts
            assert not result.errors, result.errors
        by_lookup = sum(r.counts["deliver.found_by_lookup"] for r in results)
        assert by_lookup == 2, "the lookup-by-reference services found their writes instead of sending them again"
        report("lost-reply", f"{ledger_kind}: {len(world.services)} lost replies resolved in one cycle")
    finally:
        world.close()


@pytest.mark.parametrize("style", ["b", "d"])
def test_a_failed_lookup_after_a_lost_reply_never_resends(
    style: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
    local_rest_form: Any,
) -> None:
    world = build_world(
        ledger_url("sqlite", tmp_path, request),
        national_server,
        local_rest_indonesian,
        local_rest_cursor,
        local_d=local_rest_form,
    )
    try:
        styles = rest_styles(world.ctx.packages, form=True)
        world.services = [next(s for s in world.services if styles[s] == style)]  # lookup by reference
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
        world.let_pass(3600)  # past its backoff
        world.cycle(flows=("outbound",))
        problems = delivery_problems(world)
        assert held(problems), problems  # the one whose reply was lost was found by lookup, not sent twice
    finally:
        world.close()


def test_a_busy_lookup_inside_a_200_after_a_lost_reply_never_resends(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
    local_rest_form: Any,
) -> None:
    """The PHP style answers a busy lookup ``{"status": false, "message": "Server sibuk, coba lagi"}`` with
    HTTP 200; without the envelope it has the shape of "not found" and the hub would write a second copy."""
    world = build_world(
        ledger_url("sqlite", tmp_path, request),
        national_server,
        local_rest_indonesian,
        local_rest_cursor,
        local_d=local_rest_form,
    )
    try:
        styles = rest_styles(world.ctx.packages, form=True)
        world.services = [next(s for s in world.services if styles[s] == "d")]
        world.cycle()
        world.unthrottle()
        lost: dict[str, int] = {}
        _lose_first_reply(world, lost)
        busy = requests.post(f"{local_rest_form.url}/_sandbox/busy", json={"n": 1, "operation": "lookup"}, timeout=10)
        assert busy.status_code == 200, busy.text
        national_server.citizens(2, seed=41, services=world.services)

        first = world.cycle(flows=("outbound",))
        assert lost, "the reply was lost"
        assert first[0].counts["deliver.found_by_lookup"] == 0, first[0].counts  # the lookup was busy ...
        assert len(local_rest_form.truth()["applications"]) == 1, "... and nothing was written again"
        world.let_pass(3600)  # past its backoff
        second = world.cycle(flows=("outbound",))
        assert second[0].counts["deliver.found_by_lookup"] == 1, second[0].counts  # the busy spell is over
        problems = delivery_problems(world)
        assert held(problems), problems  # found by the next lookup, then the one behind it: each created once
        report("lost-reply", "php style: a busy lookup inside HTTP 200 after a lost reply sent nothing twice")
    finally:
        world.close()
