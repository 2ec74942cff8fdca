"""Timestamps of the simulated systems: strictly increasing, and written the way each system writes them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

# Western Indonesia Time, the zone of Jawa Timur's systems (no daylight saving, so a fixed offset is exact).
WIB = timezone(timedelta(hours=7))
_TICK = timedelta(milliseconds=1)


class Clock:
    """Wall-clock time at millisecond resolution that never repeats or goes back: two status changes made
    in the same millisecond still get distinct, ordered timestamps (a cursor on time must not tie)."""

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The next timestamp (aware, UTC)."""
        with self._lock:
            current = datetime.now(UTC)
            current = current.replace(microsecond=current.microsecond // 1000 * 1000)
            if self._last is not None and current <= self._last:
                current = self._last + _TICK
            self._last = current
            return current


def format_time(moment: datetime, zone: timezone) -> str:
    """RFC 3339 with milliseconds in ``zone``; UTC is written with ``Z`` as those APIs do."""
    text = moment.astimezone(zone).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def parse_time(value: str, default_zone: timezone) -> datetime:
    """An ISO 8601 query value as an aware datetime; naive values are in the system's own zone.
    Raises ValueError for anything else (the servers answer it with a 4xx problem)."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_zone)
