"""Issue 13: a replayed dead letter goes back to its place in its queue (submission order, per-application
sequence), and per-file upload records — on SQLite and PostgreSQL (the ``ledger`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.ledger.store import Ledger, NewApplication, StatusChange
from registry.schemas import national_transitions

SERVICE = "35.76/akta-kelahiran"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _app(n: int) -> NewApplication:
    return NewApplication(
        f"NAT-{n:04d}", SERVICE, "35.76", "1.0.0", T0 + timedelta(minutes=n), {"form": {"nama_anak": "Budi"}}
    )


def _ids(rows: list[dict[str, object]]) -> list[object]:
    return [row["national_id"] for row in rows]


def test_a_head_that_ran_out_of_budget_holds_its_queue_until_replayed(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1), _app(2), _app(3)], None, "c3")
    ledger.mark_sending("NAT-0001")
    ledger.dead_letter_application("NAT-0001", "gave up after 9 attempts: HTTP 503", holds_queue=True)
    assert ledger.due_deliveries(SERVICE, 10) == [], "nothing submitted after it overtakes it"
    later = datetime.now(UTC) + timedelta(days=30)  # however long it stays dead
    assert ledger.due_deliveries(SERVICE, 10, now=later) == []
    (letter,) = ledger.dead_letters(service_id=SERVICE)
    ledger.replay(letter["id"])
    due = ledger.due_deliveries(SERVICE, 10)
    assert _ids(due) == ["NAT-0001", "NAT-0002", "NAT-0003"], "back at its place: first"
    assert due[0]["delivery"] == "sending" and due[0]["attempts"] == 0 and not due[0]["holds_queue"]


def test_a_refused_record_does_not_hold_the_queue(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1), _app(2)], None, "c2")
    ledger.mark_sending("NAT-0001")
    ledger.dead_letter_application("NAT-0001", "local system answered 422")  # a RecordError
    assert _ids(ledger.due_deliveries(SERVICE, 10)) == ["NAT-0002"]


def test_a_replay_goes_before_items_submitted_after_it_that_are_still_queued(ledger: Ledger) -> None:
    """Even when the items behind it are due earlier (they backed off less), the replayed one leads."""
    ledger.store_new_applications("35.76", SERVICE, [_app(1), _app(2)], None, "c2")
    ledger.mark_sending("NAT-0001")
    ledger.dead_letter_application("NAT-0001", "local system answered 422")
    ledger.mark_sending("NAT-0002")
    ledger.schedule_retry("NAT-0002", "HTTP 503", datetime.now(UTC) - timedelta(seconds=1), outcome_unknown=False)
    (letter,) = ledger.dead_letters(service_id=SERVICE)
    ledger.replay(letter["id"])
    assert _ids(ledger.due_deliveries(SERVICE, 10)) == ["NAT-0001", "NAT-0002"]


def test_a_replayed_event_keeps_its_sequence(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1)], None, "c1")
    ledger.mark_sending("NAT-0001")
    ledger.mark_delivered("NAT-0001", "REG-1")
    status_map = {"BARU": "received", "VERIFIKASI": "verifying", "PROSES": "processing"}
    changes = [
        StatusChange(f"e{i}", "REG-1", code, T0 + timedelta(hours=1, minutes=i))
        for i, code in enumerate(["BARU", "VERIFIKASI", "PROSES"], start=1)
    ]
    ledger.store_status_changes(
        "35.76", SERVICE, changes, [], None, "s1", national_transitions(), lambda _v, c: status_map.get(c)
    )
    ledger.mark_events([("e1", "pushed", None)])
    now = datetime.now(UTC)
    assert ledger.retry_events(["e2"], "503", now, max_attempts=1) == ["e2"]
    (letter,) = ledger.dead_letters()
    ledger.replay(letter["id"])
    due = ledger.due_events(SERVICE, 10)
    assert [(e["event_id"], e["sequence"]) for e in due] == [("e2", 2), ("e3", 3)]


def test_uploads_are_recorded_once_per_file(ledger: Ledger) -> None:
    ledger.store_new_applications("35.76", SERVICE, [_app(1)], None, "c1")
    assert ledger.uploaded_files("NAT-0001") == {}
    ledger.record_upload("NAT-0001", 0, "ktp", "a" * 64, "REG-1")
    ledger.record_upload("NAT-0001", 2, "kk", "c" * 64, "REG-1")
    ledger.record_upload("NAT-0001", 0, "ktp", "a" * 64, "REG-1")  # again after a crash: not doubled
    assert ledger.uploaded_files("NAT-0001") == {0: "a" * 64, 2: "c" * 64}
    assert ledger.uploaded_files("NAT-0002") == {}
