"""Drill 1 — outage and recovery.

A region's local systems go down while citizens keep applying over several sync cycles: the backlog is
visible in the ledger (growing, the head of each queue backing off exponentially, no dead letter before
the retry budget), and a cycle before the next attempt is due sends nothing. Then they are back: every
application is created locally exactly once, in submission order per service, and acknowledged.
The national layer down while officers work: afterwards every event is received once and in order.

The hub's clock (the world's ``ShiftedClock``, which its ledger and sync context keep) is advanced between
cycles (``World.let_pass``) so that the backoff delays pass without real waiting; the sandboxes keep the
real time, and their outage is their ``down`` fault knob (503 to everything).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.sync.backoff import RetryPolicy
from tests.drills.support import report, sized
from tests.drills.world import (
    World,
    build_world,
    delivery_problems,
    event_problems,
    held,
    leaks,
    observed_backlog,
    sqlite_url,
)

WEEK = 7 * 24 * 3600.0
POLICY = RetryPolicy()  # the production policy: 8 attempts, 2 s doubling, capped at 15 min


def _down_count(server: Any) -> int:
    """How many requests a sandbox answered with 'down' (503) since its knobs were last set."""
    snapshot = requests.get(f"{server.url}/_sandbox/faults", timeout=10).json()
    return int(snapshot["counters"].get("down", 0))


def _ceiling(attempt: int) -> float:
    return float(min(POLICY.cap_seconds, POLICY.base_seconds * 2 ** max(attempt - 1, 0)))


def _apply(national: Any, services: list[str], per_service: int, seed: int) -> None:
    """``per_service`` new citizens' applications for every service."""
    for index, service_id in enumerate(services):
        national.citizens(per_service, seed=seed * 1000 + index, services=[service_id])


def _margin() -> timedelta:
    return timedelta(seconds=10)  # far longer than an outbound-only cycle that delivers nothing takes


def _world(tmp_path: Path, national: Any, a: Any, b: Any) -> World:
    world = build_world(sqlite_url(tmp_path), national, a, b, policy=POLICY, limit=sized(6, None))
    world.cycle()  # catalogue published, feeds started, connectors built
    world.unthrottle()
    return world


def test_local_systems_down_while_citizens_apply(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = _world(tmp_path, national_server, local_rest_indonesian, local_rest_cursor)
    services = world.services
    per_cycle = sized(1, 4)  # new applications per service per cycle
    outage_cycles = POLICY.max_attempts - 1  # as long as the retry budget lasts, minus one attempt
    _apply(national_server, services, 1, seed=1)
    world.cycle()
    assert held(delivery_problems(world)), "a normal cycle delivers everything"

    for server in world.local.values():
        server.faults(down_for_seconds=WEEK)
    world.set_timeouts(2.0)
    report("outage", f"{len(services)} services; local systems down; {per_cycle} application(s)/service/cycle")
    waiting_before = quiet_checks = 0
    for cycle in range(1, outage_cycles + 1):
        _apply(national_server, services, per_cycle, seed=100 + cycle)
        started = world.clock.now()
        world.cycle()
        ended = world.clock.now()
        backlog = observed_backlog(world)
        waiting = sum(b.waiting for b in backlog.values())
        heads = {s: b.head_attempts for s, b in backlog.items()}
        assert waiting > waiting_before, "the backlog grows while citizens apply"
        assert set(heads.values()) == {cycle}, f"one attempt per cycle on each queue's head: {heads}"
        assert world.ledger.dead_letters() == [], "no dead letter before the retry budget is spent"
        low, high = _ceiling(cycle) / 2, _ceiling(cycle)
        for service_id, view in backlog.items():
            # scheduled at the failure, some moment of the cycle, [low, high] seconds (jittered) later
            assert view.head_next_attempt_at is not None
            earliest, latest = (started - view.head_next_attempt_at), (ended - view.head_next_attempt_at)
            assert -high <= latest.total_seconds() and earliest.total_seconds() <= -low, (
                f"{service_id}: next attempt at {view.head_next_attempt_at} is not {low:g}..{high:g}s after a failure "
                f"between {started} and {ended}"
            )
        if (
            min(v.head_next_attempt_at for v in backlog.values() if v.head_next_attempt_at)
            > world.clock.now() + _margin()
        ):
            # before the next attempt is due, a cycle sends nothing to the local systems (backoff honoured)
            sent_before = {style: _down_count(server) for style, server in world.local.items()}
            world.cycle(flows=("outbound",))
            assert {style: _down_count(server) for style, server in world.local.items()} == sent_before
            quiet_checks += 1
            report("outage", f"cycle {cycle}: a cycle before the next attempt is due sent nothing to the local systems")
        report(
            "outage",
            f"cycle {cycle}: {waiting} waiting, head attempts {cycle}, next try in ~{_ceiling(cycle):g}s, 0 dead letters",
        )
        waiting_before = waiting
        world.let_pass(_ceiling(cycle) + 1)  # time passes: the next attempt is due

    assert quiet_checks >= 1, "backoff was checked at least once (the long delays of the last cycles)"
    for server in world.local.values():
        server.faults()
    world.cycle(rounds=2)
    problems = delivery_problems(world)
    assert held(problems), problems
    assert all(b.waiting == 0 for b in observed_backlog(world).values())
    assert world.ledger.dead_letters() == []
    delivered = world.ledger.counts()["applications.acknowledged"]
    report("outage", f"back: {delivered} applications created once each, in submission order, acknowledged")
    assert leaks(world, caplog.text) == [], "no NIK, phone number or secret in logs, errors or the ledger"
    world.close()


def test_national_layer_down_while_officers_work(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> None:
    world = _world(tmp_path, national_server, local_rest_indonesian, local_rest_cursor)
    _apply(national_server, world.services, sized(2, 6), seed=3)
    world.cycle()
    assert held(delivery_problems(world))

    national_server.faults(down_for_seconds=WEEK)
    world.set_timeouts(2.0)
    outage_cycles = sized(4, POLICY.max_attempts - 1)
    for cycle in range(1, outage_cycles + 1):
        for server in world.local.values():
            server.step(1)  # officers keep working
        world.cycle()
        waiting = sum(b.events_waiting for b in observed_backlog(world).values())
        assert world.ledger.dead_letters() == []
        report("national-down", f"cycle {cycle}: {waiting} status events waiting in the ledger, 0 dead letters")
        world.let_pass(_ceiling(cycle + 1) + 1)
    assert waiting > 0, "the officers' changes were read and kept while the national layer was down"

    national_server.faults()
    world.cycle(rounds=3)
    problems = event_problems(world)
    assert held(problems), problems
    assert world.ledger.dead_letters() == []
    pushed = world.ledger.counts().get("events.pushed", 0)
    report("national-down", f"back: {pushed} events received once each, sequences contiguous, statuses equal")
    world.close()


def test_an_outage_past_the_retry_budget_is_visible_and_replay_keeps_order(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> None:
    """Past the budget the head of each queue becomes a dead letter with its reason (visible failure) and
    holds its queue: when the system is back, nothing submitted after it overtakes it. After the operator
    replays, everything is created exactly once and, per service, in submission order (the local systems'
    own truth) — the replayed head goes back to its place, not behind the items that came after it."""
    world = build_world(sqlite_url(tmp_path), national_server, local_rest_indonesian, local_rest_cursor, limit=2)
    world.cycle()
    world.unthrottle()
    for server in world.local.values():
        server.faults(down_for_seconds=WEEK)
    world.set_timeouts(2.0)
    per_service = 3
    _apply(national_server, world.services, per_service, seed=900)
    for cycle in range(1, POLICY.max_attempts + 1):
        world.cycle(flows=("outbound",))
        world.let_pass(_ceiling(cycle) + 1)
    # every attempt used within minutes: still no dead letter, the outage may last days
    assert world.ledger.dead_letters() == [], "attempts alone do not give up inside the time budget"
    report("outage-budget", f"{POLICY.max_attempts} attempts in minutes: no dead letter (the outage may last days)")
    world.let_pass(POLICY.give_up_after_seconds)  # a week later, still down
    world.cycle(flows=("outbound",))
    letters = world.ledger.dead_letters()
    assert len(letters) == len(world.services), "the head of each queue, after the last attempt"
    assert all(f"gave up after {POLICY.max_attempts + 1} attempts" in letter["reason"] for letter in letters)
    report(
        "outage-budget", f"a week and {POLICY.max_attempts}+ attempts later: {len(letters)} dead letters, reason stated"
    )

    for server in world.local.values():
        server.faults()
    world.cycle(rounds=2)  # back up, before anyone replays: the dead heads hold their queues
    created_before_replay = _created_locally(world)
    assert created_before_replay == 0, f"{created_before_replay} application(s) overtook a dead-lettered head"
    waiting = sum(b.waiting for b in observed_backlog(world).values())
    assert waiting == len(world.services) * (per_service - 1), "the applications behind each head still wait"
    report("outage-budget", f"system back, 2 cycles before replay: {waiting} waiting behind the dead heads, 0 created")
    for letter in letters:
        world.ledger.replay(letter["id"])
    world.cycle(rounds=2)
    problems = delivery_problems(world)
    assert held(problems), problems  # out_of_submission_order included: the local truth is in order
    orders, submitted_at = _local_order(world), _submitted(world)
    for service_id in world.services:
        submitted = sorted(orders[service_id], key=lambda nid: submitted_at[nid])
        assert orders[service_id] == submitted, f"{service_id}: {orders[service_id]} != {submitted}"
        assert len(orders[service_id]) == per_service
    report(
        "outage-budget",
        f"after replay: {len(world.services) * per_service} created once and acknowledged, each service's "
        f"replayed head first, 0 services out of submission order",
    )
    world.close()


def _created_locally(world: World) -> int:
    """Applications of the world's services the local systems created (their own truth)."""
    return sum(len(ids) for ids in _local_order(world).values())


def _local_order(world: World) -> dict[str, list[str]]:
    """service id -> national ids in the order its local system created them (the local truth)."""
    order: dict[str, list[str]] = {service_id: [] for service_id in world.services}
    for server in world.local.values():
        for app in server.truth()["applications"]:
            if app["national_id"] and not app["walk_in"] and app["package_id"] in order:
                order[app["package_id"]].append(app["national_id"])
    return order


def _submitted(world: World) -> dict[str, tuple[datetime, str]]:
    """national id -> (submitted_at, id): the national layer's submission order."""
    return {
        a["id"]: (datetime.fromisoformat(a["submitted_at"].replace("Z", "+00:00")), a["id"])
        for a in world.national.truth()["applications"]
    }
