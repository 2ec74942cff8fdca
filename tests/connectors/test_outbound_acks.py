"""The national acknowledgements sent beside the deliveries (``connectors/sync/outbound._Beside``) are
recorded in the ledger several at a time: once ``ACKS_RECORDED_TOGETHER`` are done, at once when one
failed (the run stops there, the failed one is retried later), and all of them when the page settles."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from connectors.errors import BusyAnswer
from connectors.sync.outbound import ACKS_RECORDED_TOGETHER, _Beside


class _National:
    """Acknowledges at once, except the national ids in ``busy`` (a 503 for them)."""

    def __init__(self, busy: set[str]) -> None:
        self.busy = busy
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def clone(self) -> _National:
        return self

    def acknowledge(self, national_id: str, reference: str) -> None:
        with self.lock:
            self.sent.append(national_id)
        if national_id in self.busy:
            raise BusyAnswer(f"{national_id}: HTTP 503", None)


class _Ledger:
    def __init__(self) -> None:
        self.recorded: list[list[str]] = []
        self.retries: list[str] = []

    def mark_acknowledged_many(self, national_ids: list[str]) -> None:
        if national_ids:
            self.recorded.append(sorted(national_ids))

    def schedule_retry(self, national_id: str, error: str, at: datetime, outcome_unknown: bool) -> None:
        self.retries.append(national_id)


def _beside(busy: frozenset[str] = frozenset()) -> tuple[_Beside, _Ledger, _National]:
    ledger, national = _Ledger(), _National(set(busy))
    now = datetime(2026, 12, 8, tzinfo=UTC)
    ctx: Any = SimpleNamespace(
        national=national,
        ledger=ledger,
        clock=SimpleNamespace(now=lambda: now),
        policy=SimpleNamespace(next_attempt=lambda attempts, retry_after, now: now + timedelta(minutes=1)),
    )
    return _Beside(ctx), ledger, national


def _send(beside: _Beside, ids: list[str]) -> None:
    for national_id in ids:
        beside.acknowledge(national_id, f"REF-{national_id}")
    for _, future in list(beside._acks):
        future.exception()  # wait until each is done (its outcome is the test's business)


def test_a_few_done_acknowledgements_wait_for_more_or_for_the_page_to_settle() -> None:
    beside, ledger, _ = _beside()
    try:
        ids = [f"NAT-{i}" for i in range(ACKS_RECORDED_TOGETHER - 1)]
        _send(beside, ids)
        counts: Counter[str] = Counter()
        assert beside.collect(counts) is True
        assert ledger.recorded == [] and counts["acknowledged"] == 0  # not one transaction per delivery
        assert beside.settle(counts) is True
        assert ledger.recorded == [sorted(ids)] and counts["acknowledged"] == len(ids)
    finally:
        beside.close()


def test_enough_done_acknowledgements_are_recorded_in_one_transaction() -> None:
    beside, ledger, _ = _beside()
    try:
        ids = [f"NAT-{i}" for i in range(ACKS_RECORDED_TOGETHER)]
        _send(beside, ids)
        counts: Counter[str] = Counter()
        assert beside.collect(counts) is True
        assert ledger.recorded == [sorted(ids)] and counts["acknowledged"] == len(ids)
        assert beside.settle(counts) is True and len(ledger.recorded) == 1  # nothing recorded twice
    finally:
        beside.close()


@pytest.mark.parametrize("position", [0, 2], ids=["first", "last"])
def test_a_failed_acknowledgement_is_recorded_at_once_and_stops_the_run(position: int) -> None:
    ids = ["NAT-0", "NAT-1", "NAT-2"]
    beside, ledger, _ = _beside(frozenset({ids[position]}))
    try:
        _send(beside, ids)
        counts: Counter[str] = Counter()
        assert beside.collect(counts) is False  # the deliveries stop: the national layer is busy
        assert ledger.retries == [ids[position]] and counts["retry"] == 1
        assert ledger.recorded == [sorted(set(ids) - {ids[position]})] and counts["acknowledged"] == 2
    finally:
        beside.close()
