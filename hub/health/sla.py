"""SLA in Indonesian working days: Monday to Friday, minus national holidays and the government's joint
leave days (cuti bersama, when public offices close) from the ``holidays`` library.

An application submitted on day *d* is due on the *N*-th working day after *d* (the day of submission
does not count); it breaches its SLA from the day after that while it is not in a terminal state, and
an application closed (its first terminal status) after its due day was closed late: health counts those
closed within the last ``CLOSED_LATE_WINDOW_DAYS`` (30) days as breaches too. Days are counted in WIB
(UTC+7), the national reference time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

import holidays

WIB = timezone(timedelta(hours=7), "WIB")
TERMINAL_STATUSES = ("approved", "rejected", "cancelled")
# applications closed late count as SLA breaches when they were closed within this many days (by the time
# of their first terminal status): a month of history, whatever the ledger keeps
CLOSED_LATE_WINDOW_DAYS = 30


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    days = holidays.country_holidays("ID", years=[year], categories=("public", "government"))
    return frozenset(days.keys())


def is_working_day(day: date) -> bool:
    """A weekday that is neither a national holiday nor joint leave."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many have passed since a submission on ``start``."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def wib_date(moment: datetime) -> date:
    """The calendar day in WIB of an aware (or naive UTC) time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(WIB).date()


@lru_cache(maxsize=1024)
def breach_cutoff(sla_days: int, today: date) -> date:
    """The latest submission day already in breach on ``today``: every application submitted on or
    before it and still open is late. Walks back over ``sla_days`` working days (cached per day)."""
    found, current = 0, today
    while found < sla_days:
        current -= timedelta(days=1)
        if is_working_day(current):
            found += 1
    # `current` is the sla_days-th working day before today: a submission the day before it is due on
    # the last working day before today, hence late; a submission on `current` is due today at the latest
    return current - timedelta(days=1)


def closed_late(submitted: date, closed: date, sla_days: int) -> bool:
    """Whether an application submitted on ``submitted`` and closed on ``closed`` missed its SLA."""
    return add_working_days(submitted, sla_days) < closed


def is_breached(submitted: date, sla_days: int, today: date) -> bool:
    """Whether an open application submitted on ``submitted`` is past its SLA on ``today``."""
    return add_working_days(submitted, sla_days) < today
