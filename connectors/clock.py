"""The hub's sense of time, passed in rather than patched.

Every due-time decision of the sync — a lease's expiry, a delivery's next attempt, the seven days after
which an item may be given up, the catalogue's daily re-assertion — and every timestamp the ledger writes
come from one ``Clock``: the ``SyncContext``'s, which is its ``Ledger``'s (``Ledger.open(url, clock=...)``).
Production uses ``SYSTEM_CLOCK``. Tests and the reliability drills give their ledger a ``ShiftedClock``
(real time plus an offset) or a ``FrozenClock`` (time that moves only when told) and ``advance`` it, so
that hours of backoff pass in a moment — for that ledger alone: there is no process-global offset, so two
workers (or two tests) with different clocks never move each other's time.

Two readings, for two kinds of question:

- ``now()``: aware UTC wall time, for what is stored and compared in the database (lease ``until``,
  ``next_attempt_at``, ``created_at``...). A lease written with one clock must be compared with the same
  clock, which is why the ledger owns it and every lease operation asks it.
- ``monotonic()``: seconds for in-process intervals (when a lease is due for renewal, a run's time
  budget); it never goes back when the wall clock is set, and a test clock advances it together with
  ``now()``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the ledger, the retry policy and the flows ask the time of."""

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for intervals within this process)."""
        ...


class SystemClock:
    """The real time: what production runs on. Stateless, so one shared instance is safe."""

    def now(self) -> datetime:
        """``datetime.now(UTC)``."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK: Clock = SystemClock()


class ShiftedClock:
    """Real time plus an offset that only ``advance`` moves (tests and drills): time keeps flowing, so
    timeouts and run budgets behave as in production, and a test jumps over hours of backoff at will."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = timedelta(seconds=offset_seconds)
        self._lock = threading.Lock()  # advance is called from the test's thread while flows run in others

    @property
    def offset(self) -> timedelta:
        """How far ahead of the real time this clock is."""
        return self._offset

    def advance(self, seconds: float) -> timedelta:
        """Move this clock ``seconds`` forward (never back: a negative value is refused); returns the total
        offset."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
            return self._offset

    def now(self) -> datetime:
        """The real time plus the offset."""
        return datetime.now(UTC) + self._offset

    def monotonic(self) -> float:
        """The real monotonic time plus the offset."""
        return time.monotonic() + self._offset.total_seconds()

    def __repr__(self) -> str:
        return f"ShiftedClock(offset_seconds={self._offset.total_seconds()})"


class FrozenClock:
    """Time that stands still until ``advance`` moves it (tests that need exact moments)."""

    def __init__(self, at: datetime | None = None) -> None:
        start = at or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("a FrozenClock needs an aware datetime (UTC)")
        self._now = start.astimezone(UTC)
        self._monotonic = 0.0
        self._lock = threading.Lock()

    def advance(self, seconds: float) -> datetime:
        """Move this clock ``seconds`` forward (never back); returns the new moment."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._monotonic += seconds
            return self._now

    def now(self) -> datetime:
        """The frozen moment."""
        return self._now

    def monotonic(self) -> float:
        """Seconds advanced since this clock was made."""
        return self._monotonic

    def __repr__(self) -> str:
        return f"FrozenClock(at={self._now.isoformat()})"
