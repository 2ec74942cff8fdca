"""When to try again: exponential backoff with full jitter, capped, honouring Retry-After; and when to
give up. An item becomes a dead letter only after BOTH ``max_attempts`` attempts AND
``give_up_after_seconds`` since the hub took it in: a local system down for a long weekend must not turn
every application of its queue into a dead letter one after the other (the head of each queue is
retried at most every ``cap_seconds``; the items behind it wait their turn, in order)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.ledger.store import utcnow


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: after ``max_attempts`` attempts and ``give_up_after_seconds`` (default 7 days) an
    item goes to the dead-letter queue."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 900.0
    give_up_after_seconds: float = 7 * 24 * 3600.0

    def give_up_before(self) -> datetime:
        """Items taken in before this moment may be given up (when they also used their attempts)."""
        return utcnow() - timedelta(seconds=self.give_up_after_seconds)

    def exhausted(self, attempts: int, taken_in_at: datetime | None) -> bool:
        """True when an item has used its attempts and its time: it becomes a dead letter."""
        if attempts < self.max_attempts:
            return False
        if taken_in_at is None:
            return True
        if taken_in_at.tzinfo is None:  # SQLite gives naive UTC back
            taken_in_at = taken_in_at.replace(tzinfo=UTC)
        return taken_in_at <= self.give_up_before()

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (jittered so retries of many items spread out)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempt - 1, 0))
        jittered = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - spreading retries, not cryptography
        return max(jittered, retry_after or 0.0)

    def next_attempt(self, attempt: int, retry_after: float | None = None) -> datetime:
        """The moment of the next attempt."""
        return utcnow() + timedelta(seconds=self.delay(attempt, retry_after))
