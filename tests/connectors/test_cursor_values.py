"""Cursor arithmetic on hostile values: a value that cannot be a cursor never becomes the feed's cursor, and a
timestamp at the calendar's edge does not overflow the look-back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.records import cursor_with_lookback, later_cursor

REAL = "2026-12-03T07:00:00+07:00"


@pytest.mark.parametrize("hostile", [{"a": 1}, ["2030-01-01"], True, float("nan"), float("inf")])
def test_a_value_that_cannot_be_a_cursor_never_wins(hostile: Any) -> None:
    assert later_cursor(REAL, hostile) == REAL
    assert later_cursor(hostile, REAL) == REAL
    assert later_cursor(None, hostile) is None


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        (5, 7),
        (Decimal("5"), Decimal("7.5")),
        ("2026-12-02T23:00:00Z", REAL),  # 07:00 WIB is 00:00Z
        (datetime(2026, 12, 3, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC)),
    ],
)
def test_real_cursor_values_still_compare(older: Any, newer: Any) -> None:
    assert later_cursor(older, newer) == newer
    assert later_cursor(newer, older) == newer


def test_the_calendars_edge_does_not_overflow_the_lookback() -> None:
    assert cursor_with_lookback("0001-01-01T00:00:00+14:00", 300) == "0001-01-01T00:00:00+14:00"
    assert cursor_with_lookback("2026-12-03T07:05:00Z", 300) == "2026-12-03T07:00:00Z"
