"""The cycle's view (issue 12: idle is nearly free): what a cycle reads once for all its services — cursors,
what the catalogue has, which queues may hold work — and when the flows must ask the ledger instead."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.ledger.store import Ledger, NewApplication
from connectors.sync.cycle import CycleView

A, B = "35.76/akta-kelahiran", "35.16/izin-penelitian"
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _pending(ledger: Ledger, service: str, national_id: str) -> None:
    region = service.split("/")[0]
    item = NewApplication(national_id, service, region, "1.0.0", T0, {"form": {}})
    ledger.store_new_applications(region, service, [item], ledger.cursor(service, "outbound"), national_id)


def test_a_cursor_comes_from_the_view_once_then_from_the_ledger(ledger: Ledger) -> None:
    _pending(ledger, A, "NAT-1")  # stores A's outbound cursor "NAT-1"
    view = CycleView.read(ledger.engine, [A, B])
    assert view.cursor(A, "outbound") == (True, "NAT-1")
    assert view.cursor(A, "outbound") == (False, None), "the second read of a cursor in a cycle: it may have moved"
    assert view.cursor(B, "inbound") == (True, None), "no cursor yet: known to be none"
    assert view.cursor("35.78/x", "inbound") == (False, None), "a service the view was not read for: ask"


def test_queues_may_hold_work_if_they_did_at_the_start_or_were_touched(ledger: Ledger) -> None:
    _pending(ledger, A, "NAT-1")
    view = CycleView.read(ledger.engine, [A, B])
    assert view.may_have(A, "deliveries") and not view.may_have(B, "deliveries")
    assert not view.may_have(A, "events") and not view.may_have(B, "events")
    view.touch(B, "deliveries")  # B's pull stored new applications in this cycle
    assert view.may_have(B, "deliveries"), "delivered in the same cycle, whatever the view said"
    assert view.may_have("35.78/x", "events"), "unknown to the view: ask the ledger"


def test_acknowledged_applications_leave_nothing_to_do(ledger: Ledger) -> None:
    _pending(ledger, A, "NAT-1")
    assert ledger.mark_sending("NAT-1") is not None
    ledger.mark_delivered("NAT-1", "REG-1")
    assert CycleView.read(ledger.engine, [A]).may_have(A, "deliveries"), "delivered, not yet acknowledged"
    ledger.mark_acknowledged("NAT-1")
    assert not CycleView.read(ledger.engine, [A]).may_have(A, "deliveries")


def test_what_the_catalogue_has_comes_from_the_view(ledger: Ledger) -> None:
    ledger.note_published("35.76", A, "1.0.0@abc")
    view = CycleView.read(ledger.engine, [A, B])
    known, (value, at) = view.published(A)
    assert known and value == "1.0.0@abc" and at is not None
    assert view.published(B) == (True, (None, None))
    assert view.published("35.78/x") == (False, (None, None))


def test_the_view_reads_many_services_in_chunks(ledger: Ledger) -> None:
    services = [f"35.76/layanan-{i}" for i in range(1200)]
    _pending(ledger, services[1100], "NAT-9")
    view = CycleView.read(ledger.engine, services)
    assert view.may_have(services[1100], "deliveries") and not view.may_have(services[5], "deliveries")
