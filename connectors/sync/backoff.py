"""When to try again: exponential backoff with full jitter, capped, honouring Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.ledger.store import utcnow


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: after ``max_attempts`` an item goes to the dead-letter queue."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 900.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (jittered so retries of many items spread out)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempt - 1, 0))
        jittered = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - spreading retries, not cryptography
        return max(jittered, retry_after or 0.0)

    def next_attempt(self, attempt: int, retry_after: float | None = None) -> datetime:
        """The moment of the next attempt."""
        return utcnow() + timedelta(seconds=self.delay(attempt, retry_after))
