"""Every time the ledger stores is the same instant on SQLite and PostgreSQL (issue 18 item 4): a change a
WIB, WITA or WIT system reports with its offset comes back as that instant in UTC. Before, SQLite kept
the wall-clock digits and dropped the offset, so 13:59:04+07:00 came back as 13:59:04Z — 7 hours ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.ledger.store import Ledger, NewApplication, StatusChange
from connectors.records import parse_time
from registry.schemas import national_transitions

SERVICE = "35.76/akta-kelahiran"
INSTANT = datetime(2026, 12, 2, 6, 59, 4, tzinfo=UTC)
ZONES = {"WIB": 7, "WITA": 8, "WIT": 9, "UTC": 0}
LOCAL = {"BARU": "received", "VERIFIKASI": "verifying", "PROSES": "processing", "SELESAI": "approved"}


def _as(zone_hours: int, at: datetime) -> datetime:
    return at.astimezone(timezone(timedelta(hours=zone_hours)))


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_a_submission_time_keeps_its_instant(ledger: Ledger, zone: str) -> None:
    submitted = _as(ZONES[zone], INSTANT)
    app = NewApplication("NAT-1", SERVICE, "35.76", "1.0.0", submitted, {"form": {}})
    ledger.store_new_applications("35.76", SERVICE, [app], None, "c1")
    (due,) = ledger.due_deliveries(SERVICE, 10)
    assert due["submitted_at"] == INSTANT
    assert due["submitted_at"].utcoffset() == timedelta(0)


def test_status_changes_in_every_zone_keep_their_instants_and_order(ledger: Ledger) -> None:
    ledger.store_new_applications(
        "35.76", SERVICE, [NewApplication("NAT-1", SERVICE, "35.76", "1.0.0", INSTANT, {"form": {}})], None, "c1"
    )
    ledger.mark_sending("NAT-1")
    ledger.mark_delivered("NAT-1", "REG-1")
    # minute by minute, each reported in a different zone: the WIT one (latest digits) is the earliest
    steps = [("WIT", "BARU", 1), ("WITA", "VERIFIKASI", 2), ("WIB", "PROSES", 3), ("UTC", "SELESAI", 4)]
    changes = [
        StatusChange(f"e{n}", "REG-1", local, _as(ZONES[zone], INSTANT + timedelta(minutes=n)))
        for zone, local, n in steps
    ]
    counts = ledger.store_status_changes(
        "35.76", SERVICE, changes, [], None, "s1", national_transitions(), lambda _v, s: LOCAL.get(s)
    )
    assert counts.stored == 4, counts
    events = ledger.due_events(SERVICE, 10)
    assert [e["changed_at"] for e in events] == [INSTANT + timedelta(minutes=n) for _, _, n in steps]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]


def test_a_zone_less_local_time_is_read_in_the_local_default_zone_and_stored_as_utc(ledger: Ledger) -> None:
    read = parse_time("2026-12-02T13:59:04")  # zone-less, as many regional apps write it: WIB by default
    app = NewApplication("NAT-2", SERVICE, "35.76", "1.0.0", read, {"form": {}})
    ledger.store_new_applications("35.76", SERVICE, [app], None, "c1")
    (due,) = ledger.due_deliveries(SERVICE, 10)
    assert due["submitted_at"] == INSTANT


def test_a_naive_time_is_refused_not_guessed(ledger: Ledger) -> None:
    app = NewApplication("NAT-3", SERVICE, "35.76", "1.0.0", datetime(2026, 12, 2, 13, 59, 4), {"form": {}})
    with pytest.raises(Exception, match="aware datetimes only"):
        ledger.store_new_applications("35.76", SERVICE, [app], None, "c1")
    assert ledger.cursor(SERVICE, "outbound") is None  # nothing stored, the cursor did not move
