"""SLA working days over real Indonesian calendars: weekends, Idul Fitri with joint leave, Christmas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.health.sla import add_working_days, breach_cutoff, is_breached, is_working_day, wib_date, working_days_between


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 3, 27), True),  # Thursday before Nyepi
        (date(2025, 3, 28), False),  # Nyepi joint leave (cuti bersama)
        (date(2025, 3, 29), False),  # Nyepi, a Saturday anyway
        (date(2025, 3, 31), False),  # Idul Fitri 1446
        (date(2025, 4, 1), False),  # Idul Fitri, second day
        (date(2025, 4, 2), False),  # joint leave
        (date(2025, 4, 7), False),  # joint leave
        (date(2025, 4, 8), True),  # first working day after Lebaran
        (date(2025, 8, 17), False),  # Independence Day (a Sunday)
        (date(2025, 8, 18), False),  # its joint leave
        (date(2025, 12, 25), False),  # Christmas
        (date(2026, 11, 27), True),  # an ordinary Friday
    ],
)
def test_working_days_follow_the_indonesian_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_a_deadline_across_idul_fitri_2025() -> None:
    # submitted Wednesday 26 March 2025, 5 working days: 27 Mar, then the Lebaran break
    # (28 Mar - 7 Apr: joint leave, Nyepi, Idul Fitri, weekends), then 8, 9, 10, 11 April
    assert add_working_days(date(2025, 3, 26), 5) == date(2025, 4, 11)
    assert not is_breached(date(2025, 3, 26), 5, date(2025, 4, 11))  # due that day
    assert is_breached(date(2025, 3, 26), 5, date(2025, 4, 14))  # next working day: late
    # a calendar-day count would have called it late on 1 April
    assert not is_breached(date(2025, 3, 26), 5, date(2025, 4, 1))


def test_a_long_weekend_in_august_2025() -> None:
    # Friday 15 Aug 2025 + 1 working day: Mon 18 Aug is joint leave for Independence Day -> Tue 19 Aug
    assert add_working_days(date(2025, 8, 15), 1) == date(2025, 8, 19)
    assert working_days_between(date(2025, 8, 15), date(2025, 8, 19)) == 1


def test_the_cutoff_agrees_with_the_per_application_rule() -> None:
    """breach_cutoff (what the SQL uses) equals the per-application definition for every day in a year."""
    for today in (date(2025, 4, 14), date(2025, 8, 20), date(2025, 12, 29), date(2026, 3, 25)):
        for sla in (1, 3, 5, 14, 30):
            cutoff = breach_cutoff(sla, today)
            for back in range(0, 80):
                submitted = today - timedelta(days=back)
                assert is_breached(submitted, sla, today) == (submitted <= cutoff), (today, sla, submitted)


def test_days_are_counted_in_wib() -> None:
    # 20:00 UTC on 27 March is already 28 March in Jakarta
    assert wib_date(datetime(2025, 3, 27, 20, 0, tzinfo=UTC)) == date(2025, 3, 28)
    assert wib_date(datetime(2025, 3, 27, 10, 0)) == date(2025, 3, 27)
