"""What connectors hand to the sync engine: local records normalised to the hub's field names."""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

from connectors.mapping import search
from connectors.masking import scrub_text

# Naive local timestamps are read in the package's zone (registry/time_zones.py); WIB (UTC+7) where no
# package says (a cursor compared on its own, a value without a package).
LOCAL_DEFAULT_TZ = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class ChangeRecord:
    """One status change as the local system recorded it."""

    reference: str
    status: str
    changed_at: datetime
    event_id: str | None
    national_id: str | None
    note: str | None
    cursor: Any  # the value of the package's cursor field in this record
    # the service the row names, in a region feed (``status_changes.feed.service_code_path``); else None
    service_code: str | None = None


@dataclass(frozen=True)
class WalkInRecord:
    """One application created at the local counter."""

    reference: str
    form: dict[str, Any]
    cursor: Any


@dataclass(frozen=True)
class BadRecord:
    """A local record the package's declaration cannot read (a field missing, a bad timestamp)."""

    reason: str
    ref: str
    cursor: Any


def parse_time(value: Any, zone: tzinfo = LOCAL_DEFAULT_TZ, date_format: str | None = None) -> datetime:
    """A local timestamp (ISO text, text in the package's ``date_format``, or a datetime) as an aware
    datetime, read in ``zone`` when it carries no offset (the package's zone:
    ``registry.time_zones.package_zone``); ValueError if unreadable. With a ``date_format``, text must
    match it: the package declared how the system writes times, and a value that does not fit is a
    mistake to show, not to guess at."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, bool):
        raise ValueError("a timestamp cannot be true or false")
    elif isinstance(value, (int, float)):
        try:  # a hostile 1e300, -1e20 or NaN is an unreadable record, never an OverflowError that stops the sync
            parsed = datetime.fromtimestamp(float(value), tz=zone)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"timestamp {type(value).__name__} out of range") from exc
    else:
        text = str(value).strip()
        if len(text) > 64:
            raise ValueError("timestamp text longer than 64 characters")
        # with a declared format, %z (when it has one) keeps the offset it reads, as ISO text does
        parsed = _strptime(text, date_format) if date_format else datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _strptime(text: str, date_format: str) -> datetime:
    """``datetime.strptime``, with a format strptime cannot compile (the validator refuses it; a package
    that skipped it) as a ValueError like any unreadable value, never an error that stops the sync."""
    try:
        return datetime.strptime(text, date_format)
    except re.error as exc:
        raise ValueError(f"date_format cannot be used: {exc}") from None


def canonical_cursor(value: Any, date_format: str | None, zone: tzinfo = LOCAL_DEFAULT_TZ) -> Any:
    """A record's cursor value as the ledger keeps it: a time in the local ``date_format`` becomes ISO 8601
    with its offset (``02-12-2026 14:05:09`` in WITA -> ``2026-12-02T14:05:09+08:00``), so the engine
    compares cursors as times, not as text (which puts 02-12-2026 before 03-11-2026). Anything else (no
    format declared, numbers and ids, text that is not a time in the format) is returned as it is."""
    if not date_format or not isinstance(value, str) or value.strip().isdigit():
        return value
    try:
        return parse_time(value, zone, date_format).isoformat()
    except (ValueError, OverflowError):
        return value


def local_cursor(value: Any, date_format: str | None, zone: tzinfo = LOCAL_DEFAULT_TZ) -> Any:
    """A stored cursor as the local system expects it back (its ``since`` parameter): an ISO 8601 time is
    written in the local ``date_format``, in the package's zone. Numbers and ids, a cursor already in the
    local format (stored before the package declared its format) and anything unreadable go as they are."""
    if not date_format or not isinstance(value, (str, datetime)) or str(value).strip().isdigit():
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
    else:
        try:
            _strptime(value.strip(), date_format)
            return value  # already local: an ISO reading could swap day and month (02-12 is not 12-02)
        except ValueError:
            pass
        try:
            moment = parse_time(value, zone)
        except (ValueError, OverflowError):
            return value
    return moment.astimezone(zone).strftime(date_format)


def cursor_with_lookback(cursor: Any, seconds: int) -> Any:
    """Move a timestamp cursor back by the package's look-back window (re-reads are deduplicated);
    numeric cursors (ids) only grow and are returned as they are."""
    if cursor is None or not seconds or isinstance(cursor, (int, float)) or str(cursor).isdigit():
        return cursor
    try:
        moved = datetime.fromisoformat(str(cursor).replace("Z", "+00:00")) - timedelta(seconds=seconds)
    except (ValueError, OverflowError):  # unreadable, or at the calendar's edge: read from the cursor itself
        return cursor
    text = moved.isoformat()
    return text.replace("+00:00", "Z") if str(cursor).endswith("Z") else text


def later_cursor(a: Any, b: Any) -> Any:
    """The further of two cursor values (numbers compare as numbers, timestamps as time). A value that
    cannot be a cursor (an object, a list, true/false, a non-finite number: a hostile record's field) never
    wins: stored, its text would compare "later" than every real timestamp and the feed would stop."""
    if a is None or not _cursor_like(a):
        return b if _cursor_like(b) else a
    if b is None or not _cursor_like(b):
        return a
    try:
        return a if float(a) >= float(b) else b
    except (TypeError, ValueError):
        pass
    time_a, time_b = _as_time(a), _as_time(b)
    if time_a is not None and time_b is not None:
        return a if time_a >= time_b else b
    if time_a is not None or time_b is not None:
        # a time against text that is none (a cursor stored in a local format before the package declared
        # it, or a hostile value): the time wins, so the ledger moves to a cursor it can compare from now on
        return a if time_a is not None else b
    return a if str(a) >= str(b) else b


def _as_time(value: Any) -> datetime | None:
    """A cursor value as a time, or None when it is not one (ISO 8601 text or a datetime)."""
    try:
        return parse_time(value)
    except (ValueError, OverflowError, TypeError):
        return None


def _cursor_like(value: Any) -> bool:
    """Whether a local value can serve as a feed cursor: text, a time (SQL columns), or a finite number."""
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real, Decimal, date)):
        return False
    return isinstance(value, (str, date)) or math.isfinite(float(value))


def is_later(value: Any, than: Any) -> bool:
    """True when cursor value ``value`` is strictly after ``than`` (None is before everything)."""
    if value is None:
        return False
    if than is None:
        return True
    try:
        return float(value) > float(than)
    except (TypeError, ValueError):
        pass
    time_value, time_than = _as_time(value), _as_time(than)
    if time_value is not None and time_than is not None:
        return time_value > time_than
    if time_value is not None or time_than is not None:
        return time_value is not None  # as in later_cursor: a time is after text that is none
    return str(value) > str(than)


def required_text(value: Any) -> str:
    """A field the package declares must be present."""
    if value in (None, ""):
        raise ValueError("a declared field is missing")
    return str(value)


def _optional(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def normalise_change(
    raw: dict[str, Any],
    fields: dict[str, str],
    cursor: Any,
    by_name: bool = False,
    zone: tzinfo = LOCAL_DEFAULT_TZ,
    date_format: str | None = None,
) -> ChangeRecord | BadRecord:
    """Read one local status-change record with the package's field declaration: JMESPath expressions
    (rest) or column names (sql, ``by_name``); ``changed_at`` in the package's ``date_format`` (ISO 8601
    when None) and zone. An unreadable record becomes a BadRecord, not an error."""

    def get(name: str) -> Any:
        if name not in fields:
            return None
        return raw.get(fields[name]) if by_name else search(fields[name], raw)

    try:
        return ChangeRecord(
            reference=required_text(get("reference")),
            status=required_text(get("status")),
            changed_at=parse_time(get("changed_at"), zone, date_format),
            event_id=_optional(get("event_id")),
            national_id=_optional(get("national_id")),
            note=_optional(get("note")),
            cursor=cursor,
        )
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        try:
            ref = _optional(get("event_id")) or _optional(get("reference")) or str(cursor)
        except (TypeError, ValueError, RecursionError):
            ref = "unreadable"
        # the parser quotes the bad value: mask anything NIK- or phone-like before it becomes a dead-letter reason
        reason = scrub_text(f"unreadable local record: {type(exc).__name__}: {str(exc)[:200]}")
        return BadRecord(reason, scrub_text(ref[:200]), cursor)
