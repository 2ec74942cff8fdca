"""The retry budget is attempts AND time: a long outage does not dead-letter a queue item by item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.sync.backoff import RetryPolicy

POLICY = RetryPolicy(max_attempts=8, give_up_after_seconds=7 * 24 * 3600)
NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("attempts", "age", "exhausted"),
    [
        (7, timedelta(days=30), False),  # time used, attempts not
        (8, timedelta(minutes=5), False),  # attempts used in minutes: the outage may last days
        (500, timedelta(days=6, hours=23), False),  # a long weekend and more: still retried
        (8, timedelta(days=7, minutes=1), True),  # both used: a dead letter with its reason
        (8, None, True),  # unknown intake time: attempts decide, as before
    ],
)
def test_exhausted_needs_attempts_and_time(attempts: int, age: timedelta | None, exhausted: bool) -> None:
    taken_in = None if age is None else NOW - age
    assert POLICY.exhausted(attempts, taken_in, now=NOW) is exhausted


def test_naive_timestamps_are_utc() -> None:
    naive = (NOW - timedelta(days=8)).replace(tzinfo=None)
    assert POLICY.exhausted(8, naive, now=NOW) is True
    assert POLICY.exhausted(8, naive + timedelta(days=2), now=NOW) is False
