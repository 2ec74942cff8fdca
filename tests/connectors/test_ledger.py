"""The ledger on SQLite and PostgreSQL: atomic cursors, idempotent inboxes, sequencing, quarantine,
leases, dead letters and replay."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from connectors.ledger.models import Base
from connectors.ledger.store import CursorMoved, Ledger, NewApplication, StatusChange
from registry.schemas import national_transitions

SERVICE = "35.76/akta-kelahiran"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
GRAPH = national_transitions()


def _app(n: int) -> NewApplication:
    return NewApplication(
        f"NAT-{n:04d}", SERVICE, "35.76", "1.0.0", T0 + timedelta(minutes=n), {"form": {"nama_anak": "Budi"}}
    )


STATUS_MAP = {"BARU": "received", "VERIFIKASI": "verifying", "PROSES": "processing", "SELESAI": "approved"}


def _map(version: str, local: str) -> str | None:
    return STATUS_MAP.get(local)


def _change(event: str, ref: str, local: str, minute: int) -> StatusChange:
    return StatusChange(event, ref, local, T0 + timedelta(hours=1, minutes=minute))


def test_migrations_create_exactly_the_models(ledger: Ledger) -> None:
    tables = set(inspect(ledger.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)


def test_applications_and_cursor_move_together(ledger: Ledger) -> None:
    assert ledger.store_new_applications("35.76", SERVICE, [_app(1), _app(2)], None, "c2") == 2
    assert ledger.cursor(SERVICE, "outbound") == "c2"
    # a re-read (look-back) stores nothing new
    assert ledger.store_new_applications("35.76", SERVICE, [_app(2), _app(3)], "c2", "c3") == 1
    # a worker that read from a stale cursor loses the race and stores nothing
    with pytest.raises(CursorMoved):
        ledger.store_new_applications("35.76", SERVICE, [_app(9)], "c2", "c9")
    assert [a["national_id"] for a in ledger.due_deliveries(SERVICE, 10)] == ["NAT-0001", "NAT-0002", "NAT-0003"]


def test_a_head_that_backs_off_holds_its_queue(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1), _app(2), _app(3)], None, "c3")
    ledger.mark_sending("NAT-0001")
    later = datetime.now(UTC) + timedelta(minutes=5)
    ledger.schedule_retry("NAT-0001", "HTTP 503", later, outcome_unknown=True)
    assert ledger.due_deliveries(SERVICE, 10) == []  # NAT-0002 and NAT-0003 must not overtake it
    due = ledger.due_deliveries(SERVICE, 10, now=later + timedelta(seconds=1))
    assert [a["national_id"] for a in due] == ["NAT-0001", "NAT-0002", "NAT-0003"]


def test_delivery_states(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1)], None, "c1")
    claim = ledger.mark_sending("NAT-0001")
    assert claim is not None and claim.attempts == 1
    later = datetime.now(UTC) + timedelta(minutes=5)
    ledger.schedule_retry("NAT-0001", "timeout", later, outcome_unknown=True)
    assert ledger.due_deliveries(SERVICE, 10) == []  # not before its time
    due = ledger.due_deliveries(SERVICE, 10, now=later + timedelta(seconds=1))
    assert due[0]["delivery"] == "sending"  # outcome unknown: look up or reuse the key first
    ledger.mark_delivered("NAT-0001", "REG-77")
    ledger.mark_acknowledged("NAT-0001")
    assert ledger.counts(SERVICE)["applications.acknowledged"] == 1
    # the payload (personal data) is gone once the local system has the application
    with ledger.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("select payload from application")).scalar() is None


def test_status_changes_are_sequenced_deduplicated_and_quarantined(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1)], None, "c1")
    ledger.mark_sending("NAT-0001")
    ledger.mark_delivered("NAT-0001", "REG-1")
    changes = [
        _change("e1", "REG-1", "BARU", 1),
        _change("e2", "REG-1", "VERIFIKASI", 2),
        _change("e3", "REG-1", "SELESAI", 3),  # verifying -> approved skips processing
        _change("e4", "REG-404", "BARU", 4),  # unknown application
        _change("e5", "REG-1", "VERIFIKASI", 5),  # no national change
    ]
    unmapped = _change("e6", "REG-1", "ARSIP", 6)
    counts = ledger.store_status_changes("35.76", SERVICE, [*changes, unmapped], [], None, "s1", GRAPH, _map)
    assert (counts.stored, counts.duplicates, counts.unchanged, counts.quarantined) == (2, 0, 1, 3)
    events = ledger.due_events(SERVICE, 10)
    assert [(e["event_id"], e["sequence"], e["national_status"]) for e in events] == [
        ("e1", 1, "received"),
        ("e2", 2, "verifying"),
    ]
    reasons = {d["ref"]: d["reason"] for d in ledger.dead_letters(region="35")}
    assert reasons["e3"] == "illegal transition verifying -> approved (local SELESAI)"
    assert reasons["e4"] == "status change for an application the hub does not know"
    assert reasons["e6"] == "local status 'ARSIP' is not in the status_map of 35.76/akta-kelahiran 1.0.0"
    # the look-back window re-reads e1 and e2: counted as duplicates, nothing stored twice
    again = ledger.store_status_changes("35.76", SERVICE, changes[:2], [], "s1", "s2", GRAPH, _map)
    assert (again.stored, again.duplicates) == (0, 2)


def test_event_outcomes_retries_and_replay(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1)], None, "c1")
    ledger.mark_sending("NAT-0001")
    ledger.mark_delivered("NAT-0001", "REG-1")
    changes = [_change("e1", "REG-1", "BARU", 1), _change("e2", "REG-1", "VERIFIKASI", 2)]
    ledger.store_status_changes("35.76", SERVICE, changes, [], None, "s1", GRAPH, _map)
    ledger.mark_events([("e1", "pushed", None)])
    now = datetime.now(UTC)
    assert ledger.retry_events(["e2"], "503 from national", now, max_attempts=2) == []
    assert ledger.retry_events(["e2"], "503 from national", now, max_attempts=2) == ["e2"]
    (letter,) = ledger.dead_letters()
    assert (letter["kind"], letter["ref"], letter["reason"]) == ("event", "e2", "503 from national")
    ledger.replay(letter["id"])
    assert [e["event_id"] for e in ledger.due_events(SERVICE, 10)] == ["e2"]
    assert ledger.dead_letters() == []


def test_dead_application_is_replayed_with_unknown_outcome(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1)], None, "c1")
    ledger.mark_sending("NAT-0001")
    ledger.dead_letter_application("NAT-0001", "local system answered 422: field nama_anak too long")
    assert ledger.due_deliveries(SERVICE, 10) == []
    (letter,) = ledger.dead_letters(service_id=SERVICE)
    ledger.replay(letter["id"])
    (due,) = ledger.due_deliveries(SERVICE, 10)
    assert due["delivery"] == "sending" and due["payload"] == {"form": {"nama_anak": "Budi"}}


def test_one_worker_per_stream(ledger: Ledger) -> None:
    assert ledger.acquire_stream("outbound:X", "w1", 30)
    assert not ledger.acquire_stream("outbound:X", "w2", 30)
    assert ledger.acquire_stream("outbound:X", "w1", 30)  # renew
    ledger.release_stream("outbound:X", "w1")
    assert ledger.acquire_stream("outbound:X", "w2", 30)


def test_concurrent_lease_takers_get_one_winner(ledger: Ledger) -> None:
    winners: list[str] = []

    def take(name: str) -> None:
        if ledger.acquire_stream("inbound:Y", name, 30):
            winners.append(name)

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_runs_are_recorded(ledger: Ledger) -> None:
    run = ledger.start_run("35.76", SERVICE, "outbound", "w1")
    ledger.finish_run(run, "ok", {"delivered": 3})
    with ledger.engine.connect() as conn:
        from sqlalchemy import text

        row = conn.execute(text("select outcome, counts from sync_run")).one()
    assert row[0] == "ok"
