"""When to try again: exponential backoff with full jitter, capped, honouring Retry-After; and when to
give up.

The retry budget depends on whether the local system *answered*:

- **No usable contact** (``NotSent``: refused, unreachable, connect timeout; ``LostReply``: no whole answer;
  ``BusyAnswer``: 429, 5xx, an ``errors`` rule "retry"; any other ``RetriableError``, e.g. a local database
  that is unavailable): an item becomes a dead letter only after BOTH ``max_attempts`` attempts AND
  ``give_up_after_seconds`` since the hub took it in. A local system down for a long weekend must not turn
  every application of its queue into a dead letter one after the other (the head of each queue is
  retried at most every ``cap_seconds``; the items behind it wait their turn, in order).
- **The same unusable answer** (``UnusableAnswer``: the system answered in full, readably, but not as the
  package declares — a 2xx without the reference) on this attempt and the one before: dead after
  ``max_attempts`` alone. The system is up and says the same thing every time; waiting 7 days would only
  hold every application behind it for a week (issue 18: 5 of 58 delivered). As a dead letter it is
  visible with its reason and ``mpphub replay`` sends it again after the package is fixed.

A refusal the system states (4xx, an answer envelope that says "failed", an ``errors`` rule "record") is a
``RecordError`` and never enters this budget: it is a dead letter at once, with the system's reason.
While a queue's head retries, ``mpphub status`` shows the service as *stuck* after 3 attempts
(``hub/health/stuck.py``), whichever budget applies."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.errors import RetriableError, UnusableAnswer


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: after ``max_attempts`` attempts and ``give_up_after_seconds`` (default 7 days) an
    item goes to the dead-letter queue.

    The policy keeps no time of its own: every decision takes ``now`` from the caller — the flow's
    ``ctx.clock.now()``, the same clock its ledger stamps ``created_at`` and compares ``next_attempt_at``
    with (``connectors/clock.py``)."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 900.0
    give_up_after_seconds: float = 7 * 24 * 3600.0

    def give_up_before(self, now: datetime) -> datetime:
        """Items taken in before this moment may be given up (when they also used their attempts)."""
        return now - timedelta(seconds=self.give_up_after_seconds)

    def exhausted(self, attempts: int, taken_in_at: datetime | None, answered: bool = False, *, now: datetime) -> bool:
        """True when an item has used its attempts and its time — or only its attempts when the system
        ``answered`` (the same unusable answer again, see ``answered_again``): it becomes a dead letter."""
        if attempts < self.max_attempts:
            return False
        if answered or taken_in_at is None:
            return True
        if taken_in_at.tzinfo is None:  # SQLite gives naive UTC back
            taken_in_at = taken_in_at.replace(tzinfo=UTC)
        return taken_in_at <= self.give_up_before(now)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (jittered so retries of many items spread out)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempt - 1, 0))
        jittered = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - spreading retries, not cryptography
        return max(jittered, retry_after or 0.0)

    def next_attempt(self, attempt: int, retry_after: float | None = None, *, now: datetime) -> datetime:
        """The moment of the next attempt, counted from ``now``."""
        return now + timedelta(seconds=self.delay(attempt, retry_after))


def answered_again(exc: RetriableError, previous_error: object) -> bool:
    """True when this failure is an answer the system gave in full (``UnusableAnswer``) and the previous
    attempt ended with the same one (the ledger's ``last_error``, stored cut at 500 characters): then the
    attempts alone exhaust the budget. A one-off odd answer just after an outage does not."""
    return isinstance(exc, UnusableAnswer) and isinstance(previous_error, str) and previous_error == str(exc)[:500]
