"""The clocks time is passed in with (connectors/clock.py), and how the sync context and its ledger share one."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from connectors.clock import SYSTEM_CLOCK, Clock, FrozenClock, ShiftedClock
from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.sync.backoff import RetryPolicy
from connectors.sync.context import SyncContext
from connectors.sync.packages import PackageSource
from tests.conftest import REPO

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_the_system_clock_is_aware_utc_and_real() -> None:
    before = datetime.now(UTC)
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
    assert abs(SYSTEM_CLOCK.monotonic() - time.monotonic()) < 1


def test_a_shifted_clock_moves_only_itself_and_only_forward() -> None:
    shifted, untouched = ShiftedClock(), ShiftedClock()
    assert shifted.advance(3600) == timedelta(hours=1)
    assert shifted.advance(1.5) == timedelta(hours=1, seconds=1.5) == shifted.offset
    ahead = shifted.now() - datetime.now(UTC)
    assert timedelta(hours=1) <= ahead < timedelta(hours=1, seconds=5)
    assert 3601 <= shifted.monotonic() - time.monotonic() < 3605
    assert untouched.offset == timedelta(0), "each clock has its own offset: nothing global moved"
    assert abs(untouched.now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError, match="only moves forward"):
        shifted.advance(-1)


def test_a_frozen_clock_stands_still_until_advanced() -> None:
    frozen = FrozenClock(T0)
    assert frozen.now() == frozen.now() == T0 and frozen.monotonic() == 0.0
    assert frozen.advance(90) == T0 + timedelta(seconds=90) == frozen.now()
    assert frozen.monotonic() == 90.0
    with pytest.raises(ValueError, match="aware"):
        FrozenClock(datetime(2026, 11, 2, 8, 0))
    with pytest.raises(ValueError, match="only moves forward"):
        frozen.advance(-0.1)


def test_every_clock_is_a_clock() -> None:
    for clock in (SYSTEM_CLOCK, ShiftedClock(), FrozenClock(T0)):
        assert isinstance(clock, Clock)


def test_the_retry_policy_counts_from_the_moment_it_is_given() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=900, give_up_after_seconds=7 * 24 * 3600)
    assert policy.give_up_before(T0) == T0 - timedelta(days=7)
    assert T0 + timedelta(seconds=450) <= policy.next_attempt(20, now=T0) <= T0 + timedelta(seconds=900)
    assert policy.next_attempt(1, retry_after=120, now=T0) == T0 + timedelta(seconds=120), "Retry-After wins"
    taken_in = T0 - timedelta(days=6)
    assert not policy.exhausted(8, taken_in, now=T0)
    assert policy.exhausted(8, taken_in, now=T0 + timedelta(days=1)), "a day later its seven days are over"


def _context(ledger: Ledger, **extra: Any) -> SyncContext:
    national = NationalClient("http://127.0.0.1:9", "unused")
    return SyncContext(ledger, PackageSource(REPO / "registry"), national, lambda package: cast(Any, None), **extra)


def test_a_context_keeps_its_ledgers_time(tmp_path: Any) -> None:
    frozen = FrozenClock(T0)
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}", clock=frozen)
    try:
        assert _context(ledger).clock is frozen, "left out: the ledger's clock"
        assert _context(ledger, clock=frozen).clock is frozen
        with pytest.raises(ValueError, match="keeps the time of its ledger"):
            _context(ledger, clock=ShiftedClock())  # two senses of now in one worker: refused
    finally:
        ledger.close()
    plain = Ledger.open(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        assert plain.clock is SYSTEM_CLOCK and _context(plain).clock is SYSTEM_CLOCK, "production: the system's"
    finally:
        plain.close()
