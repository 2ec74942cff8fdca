"""Masking of citizens' identifiers for display: enough to recognise an application, never the number.

A NIK keeps only its first four digits (province and regency: what the service's region says anyway),
so a masked NIK beside its keyed hash leaves twelve digits to guess (see docs/reliability.md, "What a
leaked row gives away"); a phone number keeps its first four characters (the operator prefix) and its last
two. Anything too short to mask safely is masked completely.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

_KEEP_HEAD, _KEEP_TAIL = 4, 2
_MIN_LENGTH = 10  # shorter values would reveal too large a share of the number


def mask_identifier(value: str, keep_tail: int = _KEEP_TAIL) -> str:
    """``081234567889`` -> ``0812******89``: the first four and the last ``keep_tail`` characters."""
    text = "".join(value.split())
    if len(text) < _MIN_LENGTH:
        return "*" * len(text)
    return text[:_KEEP_HEAD] + "*" * (len(text) - _KEEP_HEAD - keep_tail) + text[len(text) - keep_tail :]


def mask_nik(value: str) -> str:
    """A NIK (16 digits) masked for display: ``3576012345678901`` -> ``3576************``."""
    return mask_identifier(value, keep_tail=0)


def mask_phone(value: str) -> str:
    """A phone number masked for display."""
    return mask_identifier(value)


_NIK_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9+])(?:\+62|62|0)8[0-9]{7,12}(?![0-9])")


# Query parameters that carry a secret: an API key in the query string (``auth.in: query``) is in every URL
# the hub calls, and urllib3 logs request lines at DEBUG. The usual names, and every name a package's auth
# puts a key under (``register_query_secret``, called when the connector is built).
_QUERY_SECRETS: set[str] = {"api_key", "apikey", "access_token"}
_QUERY_SECRET_IN_TEXT: re.Pattern[str] | None = None


def register_query_secret(name: str) -> None:
    """Mask the value of query parameter ``name`` wherever a URL with it is logged or shown."""
    global _QUERY_SECRET_IN_TEXT
    if name and name not in _QUERY_SECRETS:
        _QUERY_SECRETS.add(name)
        _QUERY_SECRET_IN_TEXT = None


def _query_secret_pattern() -> re.Pattern[str]:
    global _QUERY_SECRET_IN_TEXT
    pattern = _QUERY_SECRET_IN_TEXT
    if pattern is None:
        names = "|".join(re.escape(n) for n in sorted(_QUERY_SECRETS, key=len, reverse=True))
        pattern = _QUERY_SECRET_IN_TEXT = re.compile(rf"([?&;](?:{names})=)[^&\s#\"']+", re.IGNORECASE)
    return pattern


def scrub_text(text: str) -> str:
    """Mask anything in free text (an error message from a remote system, a logged URL) that looks like a
    NIK or a phone number, and the value of a secret-bearing query parameter: the last line of defence
    before text reaches a log, the API or the dashboard."""
    text = _NIK_IN_TEXT.sub(lambda m: mask_nik(m.group(0)), text)
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
    if "=" in text:
        text = _query_secret_pattern().sub(r"\1***", text)
    return text


def _scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message, traceback and stack masked (formatted now, so nothing unmasked is
    left for a handler to format later)."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string: logging reports it itself
        return record
    record.msg, record.args = scrub_text(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = scrub_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    if record.stack_info:
        record.stack_info = scrub_text(record.stack_info)
    return record


def install_log_masking() -> None:
    """Mask NIK- and phone-like values in every log record of this process, whatever its logger or level
    (``sqlalchemy.engine`` at DEBUG logs result rows). A record factory rather than a handler filter: it
    also covers handlers added later (uvicorn's, Airflow's). Only records a logger emits pay for it.
    Idempotent."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "mpphub_masking", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _scrub_record(previous(*args, **kwargs))

    factory.mpphub_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
