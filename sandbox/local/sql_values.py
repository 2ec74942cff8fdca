"""Values as the simulated database stores them: timestamps in the zone the dialect keeps (aware for
PostgreSQL, naive WIB for MariaDB DATETIME, as PHP apps write them), dates, numbers and JSON text."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from sandbox.local.clock import WIB


def to_database_time(moment: datetime, dialect_name: str) -> datetime:
    """An aware datetime as the dialect's timestamp column keeps it."""
    return moment.astimezone(WIB).replace(tzinfo=None) if dialect_name in ("mysql", "mariadb") else moment


def from_database_time(value: datetime) -> datetime:
    """A timestamp read back (naive means WIB) as an aware datetime."""
    return value if value.tzinfo else value.replace(tzinfo=WIB)


def to_column(value: Any, type_: sa.types.TypeEngine[Any], dialect_name: str) -> Any:
    """``value`` (as a JMESPath mapping yields it: JSON types, ISO text) for a column of ``type_``."""
    if value is None:
        return None
    if isinstance(type_, sa.DateTime):
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return to_database_time(moment if moment.tzinfo else moment.replace(tzinfo=WIB), dialect_name)
    if isinstance(type_, sa.Date):
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if isinstance(type_, sa.Boolean):
        return bool(value)
    if isinstance(type_, sa.Integer):
        return int(value)
    if isinstance(type_, sa.Float):
        return float(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value if isinstance(value, str) else str(value)


def to_json(value: Any) -> Any:
    """A value read from the database, for a JSON truth report."""
    if isinstance(value, datetime):
        return from_database_time(value).isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)  # Decimal and friends
