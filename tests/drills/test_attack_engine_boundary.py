"""Attack drill (issue 16): one region's local system feeds the hub hostile values, and the national layer
answers a walk-in registration without the application it created.

What must hold: ``SyncEngine.run_once`` never crashes on one service's data; the hostile records become
dead letters with a reason (or the service's run a recorded failure), and every OTHER service of the same
cycle still delivers its applications and pushes its statuses. A national answer without ``application``
is a retriable failure (the registration is retried with the same idempotency key), never a KeyError.

The hostile local system is a loopback ``Trap`` answering the victim service's status feed; the other
services keep their sandbox local systems (``tests/drills/world.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors import records
from connectors.errors import RetriableError
from connectors.national import NationalClient
from connectors.sync import inbound as inbound_flow
from tests.drills.attack_support import aim_service_at, feed_answer, sync_runs
from tests.drills.support import report
from tests.drills.traps import Trap, json_answer
from tests.drills.world import World, build_world, sqlite_url

REGION = "35.76"
VICTIM = "35.76/akta-kelahiran"  # first of its region: every other service of the cycle runs after it
OTHERS = ["35.76/akta-kematian", "35.76/izin-reklame"]  # style (a) and style (b) sandboxes
WALK_IN_SERVICE = "35.76/kartu-identitas-anak"
FEED = "/permohonan/perubahan-status"
GOOD_TIME = '"2026-11-28T08:00:00+07:00"'


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "{}" + "}" * depth


# reference -> raw JSON of one hostile status record (the package reads nomor_registrasi, kode_status,
# diperbarui_pada); every one must become a dead letter of the victim with a reason
HOSTILE = {
    "REG-HUGE": '{"nomor_registrasi": "REG-HUGE", "kode_status": "SELESAI", "diperbarui_pada": 1e300}',
    "REG-NEG": '{"nomor_registrasi": "REG-NEG", "kode_status": "SELESAI", "diperbarui_pada": -1e20}',
    "REG-BOOL": '{"nomor_registrasi": "REG-BOOL", "kode_status": "SELESAI", "diperbarui_pada": true}',
    "REG-LONG": '{"nomor_registrasi": "REG-LONG", "kode_status": "SELESAI", "diperbarui_pada": "' + "9" * 5000 + '"}',
    "REG-LIST": '{"nomor_registrasi": "REG-LIST", "kode_status": ["SELESAI"], "diperbarui_pada": ' + GOOD_TIME + "}",
    "MISSING": "{}",
    "DEEP": '{"nomor_registrasi": '
    + _nested(300)
    + ', "kode_status": "SELESAI", "diperbarui_pada": '
    + _nested(300)
    + "}",
}


@pytest.fixture
def trap() -> Iterator[Trap]:
    server = Trap("127.0.0.1")
    yield server
    server.stop()


def _world(tmp_path: Path, national: Any, a: Any, b: Any, trap: Trap) -> World:
    world = build_world(sqlite_url(tmp_path), national, a, b)
    aim_service_at(world, VICTIM, f"{trap.url}/api/v1")
    return world


def _created_locally(world: World) -> set[str]:
    return {
        national_id
        for server in world.local.values()
        for national_id, n in server.truth()["submissions"]["created_per_national_id"].items()
        if n
    }


def _events_received(world: World, services: list[str]) -> dict[str, int]:
    truth = world.national.truth()
    apps = {a["id"]: a["service_id"] for a in truth["applications"]}
    received = dict.fromkeys(services, 0)
    for event in truth["events"]:
        service_id = apps.get(event["application_id"])
        if service_id in received and event["received_count"] >= 1:
            received[service_id] += 1
    return received


def test_hostile_status_values_become_dead_letters_and_the_other_services_sync(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any, trap: Trap
) -> None:
    """Attack: the victim's feed carries 1e300, -1e20, a boolean, a 5000-character timestamp, a list where
    a status string belongs, a record with no keys and 300-level nested dicts. Before the fix 1e300 raised
    OverflowError out of the record reader and stopped the whole cycle."""
    trap.answer = feed_answer(list(HOSTILE.values()), FEED)
    world = _world(tmp_path, national_server, local_rest_indonesian, local_rest_cursor, trap)
    submitted = [a for s in OTHERS for a in national_server.apply(s, n=2, seed=7)]

    results = {r.service_id: r for r in world.engine.run_once(region=REGION)}  # must not raise
    assert any(FEED in h.path for h in trap.heard), "the victim's hostile feed was really read"
    victim = results[VICTIM]
    assert victim.counts["status_pull.read"] == len(HOSTILE)
    assert victim.counts["status_pull.quarantined"] == len(HOSTILE), dict(victim.counts)
    letters = world.ledger.dead_letters(service_id=VICTIM)
    assert len(letters) == len(HOSTILE)
    assert all(letter["reason"] and letter["flow"] == "inbound" for letter in letters)
    unreadable = [letter for letter in letters if letter["reason"].startswith("unreadable local record")]
    by_ref = {str((letter["record"] or {}).get("ref")): letter["reason"] for letter in unreadable}
    assert "out of range" in by_ref["REG-HUGE"] and "out of range" in by_ref["REG-NEG"]
    assert "true or false" in by_ref["REG-BOOL"] and "longer than 64" in by_ref["REG-LONG"]
    assert "missing" in by_ref["None"]  # the record without keys
    assert len(unreadable) == len(HOSTILE) - 1  # the list status is readable text, but no known application
    assert all(len(letter["reason"]) < 400 for letter in letters), "reasons are bounded, not the hostile value"

    # the other services, after the victim in the same cycle: delivered; then their statuses pushed
    assert set(submitted) <= _created_locally(world), "the other services' applications arrived locally"
    for service_id in OTHERS:
        assert results[service_id].errors == [] and results[service_id].fatal is None
    for server in world.local.values():
        server.step(2)
    world.engine.run_once(region=REGION)
    received = _events_received(world, OTHERS)
    assert all(n > 0 for n in received.values()), f"status events of the other services arrived: {received}"
    report("attack-engine", f"{len(HOSTILE)} hostile records -> dead letters; other services synced {received}")
    world.close()


def test_an_unforeseen_exception_in_one_service_is_a_recorded_failure_not_a_crash(
    tmp_path: Path,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
    trap: Trap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attack: a timestamp at the edge of the calendar (0001-01-01T00:00:00+14:00) is stored as the victim's
    feed cursor; moving it back by the look-back window overflowed (OverflowError, an exception no flow
    expected). That path is fixed (``cursor_with_lookback``); the drill keeps the exception coming from the
    same place, for the victim's cursor only, as the stand-in for the next unforeseen one. The engine
    boundary must record it as the victim's failed run (type only, no value) and run every other service of
    the cycle; without it ``run_once`` raises."""
    edge = '{"nomor_registrasi": "REG-EDGE", "kode_status": "SELESAI", "diperbarui_pada": "0001-01-01T00:00:00+14:00"}'
    trap.answer = feed_answer([edge], FEED)
    world = _world(tmp_path, national_server, local_rest_indonesian, local_rest_cursor, trap)
    world.engine.run_once(region=REGION)
    assert world.ledger.cursor(VICTIM, "inbound") == "0001-01-01T00:00:00+14:00", "the edge value became the cursor"

    real_lookback = records.cursor_with_lookback

    def overflowing(cursor: Any, seconds: int) -> Any:
        if str(cursor).startswith("0001-"):
            raise OverflowError("date value out of range")
        return real_lookback(cursor, seconds)

    monkeypatch.setattr(inbound_flow, "cursor_with_lookback", overflowing)
    submitted = [a for s in OTHERS for a in national_server.apply(s, n=2, seed=11)]
    results = {r.service_id: r for r in world.engine.run_once(region=REGION)}  # must not raise
    victim_errors = results[VICTIM].errors
    assert victim_errors == ["inbound: unexpected error handling this service's data: OverflowError"], victim_errors
    last_inbound = [r for r in sync_runs(world.ledger, VICTIM) if r["flow"] == "inbound"][-1]
    assert last_inbound["outcome"] == "retry"
    assert last_inbound["error"] == "unexpected error handling this service's data: OverflowError"
    assert set(submitted) <= _created_locally(world), "services after the victim still delivered"
    assert all(results[s].errors == [] for s in OTHERS)
    report("attack-engine", "an OverflowError in one service: recorded as its failed run; the cycle went on")
    world.close()


def test_after_a_hostile_timestamp_the_victims_feed_keeps_being_read(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any, trap: Trap
) -> None:
    """Attack: the same calendar-edge timestamp. The bad record is quarantined (fine), but a region's one bad
    record should not stop its feed: the next cycle must read the feed again without an error."""
    edge = '{"nomor_registrasi": "REG-EDGE", "kode_status": "SELESAI", "diperbarui_pada": "0001-01-01T00:00:00+14:00"}'
    trap.answer = feed_answer([edge], FEED)
    world = _world(tmp_path, national_server, local_rest_indonesian, local_rest_cursor, trap)
    world.engine.run_once(region=REGION, service=VICTIM)
    reads_before = sum(FEED in h.path for h in trap.heard)
    result = world.engine.run_once(region=REGION, service=VICTIM)[0]
    world.close()
    assert result.errors == [], result.errors
    assert sum(FEED in h.path for h in trap.heard) > reads_before, "the feed was read again"


def test_a_non_timestamp_cursor_value_does_not_become_the_feed_cursor(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any, trap: Trap
) -> None:
    """Attack: one record whose cursor field (diperbarui_pada) is a nested object, beside a good record.
    The bad one is quarantined; the stored cursor must stay a usable timestamp (the good record's)."""
    bad = '{"nomor_registrasi": "REG-OBJ", "kode_status": "SELESAI", "diperbarui_pada": ' + _nested(5) + "}"
    good = '{"nomor_registrasi": "REG-OK", "kode_status": "SELESAI", "diperbarui_pada": ' + GOOD_TIME + "}"
    trap.answer = feed_answer([good, bad], FEED)
    world = _world(tmp_path, national_server, local_rest_indonesian, local_rest_cursor, trap)
    world.engine.run_once(region=REGION, service=VICTIM)
    cursor = world.ledger.cursor(VICTIM, "inbound")
    letters = world.ledger.dead_letters(service_id=VICTIM)
    world.close()
    assert len(letters) == 2  # unreadable, and unknown application
    assert cursor == GOOD_TIME.strip('"'), f"stored feed cursor: {str(cursor)[:60]}"


# --- national answers -----------------------------------------------------------------------------------

BAD_WALK_IN_ANSWERS = [b"{}", b"[]", b'{"application": null}', b'{"application": {"id": 5}}', b'"created"']


@pytest.mark.parametrize("body", BAD_WALK_IN_ANSWERS, ids=lambda b: b.decode())
def test_a_walk_in_answer_without_application_is_retriable(trap: Trap, body: bytes) -> None:
    """Attack: the national layer (or something in front of it) answers 201 to POST /walk-ins without the
    application object. Before the fix: KeyError / TypeError out of the client."""
    trap.answer = json_answer(body, status=201)
    client = NationalClient(trap.url, "drill-token", timeout=5.0)
    with pytest.raises(RetriableError, match="walk-in answer without an application object") as caught:
        client.register_walk_in({"service_id": WALK_IN_SERVICE}, idempotency_key="k-1")
    assert caught.value.outcome_unknown, "the write may have happened: retried with the same key"
    assert [h.path for h in trap.heard] == ["/walk-ins"]


def test_a_walk_in_answer_without_application_is_retried_in_the_sync_and_registered_once(
    tmp_path: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any, trap: Trap
) -> None:
    """Attack, end to end: during one cycle the national layer answers walk-ins with ``{"status": "ok"}``.
    The walk-in run is a retry with the reason (no KeyError, no crash, the cursor not moved); once the
    national layer answers properly, each counter application is registered exactly once."""
    world = build_world(sqlite_url(tmp_path), national_server, local_rest_indonesian, local_rest_cursor)
    world.engine.run_service(WALK_IN_SERVICE)  # catalogue published, feeds started
    local_rest_indonesian.walk_ins(2, package_id=WALK_IN_SERVICE)
    walk_ins = [
        a["reference"]
        for a in local_rest_indonesian.truth()["applications"]
        if a["walk_in"] and a["package_id"] == WALK_IN_SERVICE
    ]
    assert len(walk_ins) == 2

    real_national = world.ctx.national
    trap.answer = json_answer(b'{"status": "ok"}', status=201)
    world.ctx.national = NationalClient(trap.url, "drill-token", timeout=5.0)
    result = world.engine.run_service(WALK_IN_SERVICE, ("walk_in",))  # must not raise
    assert result.errors == ["walk_in: national layer: walk-in answer without an application object"], result.errors
    assert [r for r in sync_runs(world.ledger, WALK_IN_SERVICE) if r["flow"] == "walk_in"][-1]["outcome"] == "retry"
    assert any(h.path == "/walk-ins" for h in trap.heard)

    world.ctx.national = real_national
    assert world.engine.run_service(WALK_IN_SERVICE, ("walk_in",)).errors == []
    world.engine.run_service(WALK_IN_SERVICE, ("walk_in",))
    registered = [
        a
        for a in national_server.truth()["applications"]
        if a["origin"] == "walk_in" and a["service_id"] == WALK_IN_SERVICE
    ]
    assert len(registered) == len(walk_ins), registered
    report("attack-engine", "a walk-in answer without application: retried, then registered exactly once")
    world.close()
