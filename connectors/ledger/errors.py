"""Saying what went wrong with the ledger's database in one line, without the SQL or its parameters
(SQLAlchemy's own message carries both, and parameters can hold an application's personal data)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

_HINTS = (
    ("read-only", "the ledger database is read-only"),
    ("readonly", "the ledger database is read-only"),
    ("disk is full", "the ledger's disk is full"),
    ("no space left", "the ledger's disk is full"),
    ("terminating connection", "the ledger database closed the connection"),
    ("server closed the connection", "the ledger database closed the connection"),
    ("connection refused", "the ledger database is not reachable"),
    ("could not connect", "the ledger database is not reachable"),
)


def describe_ledger_error(exc: SQLAlchemyError) -> str:
    """One line: what happened (a hint when it is a known condition) and the driver's first line."""
    original = exc.orig if isinstance(exc, DBAPIError) else None
    detail = str(original if original is not None else exc).strip().splitlines()
    first = detail[0][:200] if detail else type(exc).__name__
    lowered = first.lower()
    hint = next((text for marker, text in _HINTS if marker in lowered), "the ledger database failed")
    return f"{hint} ({type(original or exc).__name__}: {first})"
