"""Local date formats: the strptime-style ``local_system.date_format`` a package may declare.

Many regional applications write times as ``02-12-2026 14:05:09`` rather than ISO 8601. A package says so
with a format of explicit strptime directives (``%d-%m-%Y %H:%M:%S``); the connectors read the local
system's times with it (in the package's zone unless the format reads an offset with ``%z``) and write
cursor values back in it. This module only judges a format; reading and writing are the connectors'
(``connectors/records.py``). It lives in the registry so the validator and the connectors share one
definition of what a usable format is.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

# The directives a format may use. Locale-dependent ones (%c, %x, %X), week-based ones (%U, %W, %G, %V,
# %u, %w: they need other directives to mean a day) and zone names (%Z: strptime reads only UTC/GMT and
# the machine's own names, and never turns them into an offset) are left out on purpose.
ALLOWED = frozenset("YymbBdjHIpMSfzaA%")
MAX_LENGTH = 64  # as the schema's maxLength: longer is the schema's complaint
_DIRECTIVE = re.compile(r"%(.?)")
# What makes a format a timestamp: each group must be present (any one directive of it).
_NEEDED = (
    ("year", "%Y or %y", frozenset("Yy")),
    ("hour", "%H, or %I with %p", frozenset("HI")),
    ("minute", "%M", frozenset("M")),
)
# A format whose text sorts as time: these directives in this order (a prefix of it), fixed width.
_SORTABLE_ORDER = ("Y", "m", "d", "H", "M", "S", "f")
# A moment every directive writes differently from its neighbours (day 23 > 12, hour 14 > 12, minute 5,
# second 9): read back wrongly, it cannot come out the same.
_PROBE = datetime(2026, 11, 23, 14, 5, 9, 123456, tzinfo=timezone(timedelta(hours=8)))


def directives(date_format: str) -> list[str]:
    """The directive letters of a format in order (``%%`` is ``%``; a lone ``%`` at the end is ``''``)."""
    return [m.group(1) for m in _DIRECTIVE.finditer(date_format)]


def format_problem(date_format: str) -> str | None:
    """Why a declared date format cannot serve as the local system's timestamp format, or None when it
    can: a directive strptime does not have (or that this hub does not accept), a missing date or time
    part, or a format whose own output strptime does not read back as the same moment."""
    used = directives(date_format)
    for letter in used:
        if letter not in ALLOWED:
            shown = f"%{letter}" if letter else "a lone % at the end"
            if letter == "Z":
                why = "zone names are not read as offsets: use %z (+0700), or time_zone for times without one"
            elif letter == "-":
                why = "strptime has no %-d style flags (%d reads 2 and 02 alike)"
            else:
                why = "use explicit directives such as %d-%m-%Y %H:%M:%S"
            return f"date_format {date_format!r}: {shown} is not a directive the hub reads ({why})"
    letters = set(used)
    twice = sorted({letter for letter in used if letter != "%" and used.count(letter) > 1})
    if twice:  # strptime cannot compile a format that names a part twice
        return f"date_format {date_format!r}: %{twice[0]} appears more than once; each part may appear only once"
    if not (letters & {"d", "j"}):
        return f"date_format {date_format!r} has no day (%d, or %j with %Y): it must make a full timestamp"
    if "d" in letters and not (letters & {"m", "b", "B"}):
        return f"date_format {date_format!r} has no month (%m, %b or %B): it must make a full timestamp"
    for what, which, group in _NEEDED:
        if not (letters & group):
            return f"date_format {date_format!r} has no {what} ({which}): it must make a full timestamp"
    if "I" in letters and "p" not in letters:
        return f"date_format {date_format!r}: %I (12-hour clock) needs %p (AM/PM), else 02:00 and 14:00 are one"
    try:
        written = _PROBE.strftime(date_format)
        read = datetime.strptime(written, date_format)
    except (ValueError, TypeError, re.error) as exc:
        return f"date_format {date_format!r}: strptime cannot use it ({exc})"
    expected = _PROBE if "z" in letters else _PROBE.replace(tzinfo=None)
    if "f" not in letters:
        expected = expected.replace(microsecond=0)
    if "S" not in letters:
        expected = expected.replace(second=0)
    if read != expected:
        return (
            f"date_format {date_format!r}: strptime reads {written!r} (what it writes for {expected:%Y-%m-%d %H:%M:%S}) "
            f"as {read:%Y-%m-%d %H:%M:%S}: two directives are ambiguous side by side; put a separator between them"
        )
    return None


def sorts_as_text(date_format: str) -> bool:
    """Whether text in this format orders as time when compared as text (a database's text column):
    year, month, day, hour, minute, second, fraction in that order, nothing else. ``%d-%m-%Y`` does
    not: ``02-12-2026`` sorts before ``03-11-2026``."""
    used = [letter for letter in directives(date_format) if letter != "%"]
    return bool(used) and tuple(used) == _SORTABLE_ORDER[: len(used)]
