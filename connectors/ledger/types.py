"""Values the ledger takes and gives: what was read from either side, and its own exceptions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.errors import CursorMoved as CursorMoved  # with the other errors; re-exported for the ledger


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class NewApplication:
    """An application read from the national layer, to deliver."""

    national_id: str
    service_id: str
    region: str
    package_version: str
    submitted_at: datetime
    payload: dict[str, Any]
    subject_hash: str | None = None
    status: str = "submitted"
    nik_masked: str | None = None
    phone_masked: str | None = None


@dataclass(frozen=True)
class StatusChange:
    """A local status change, to be mapped with the status map of its application's package version."""

    event_id: str
    local_reference: str
    local_status: str
    changed_at: datetime
    note: str | None = None
    national_id: str | None = None


StatusMapper = Callable[[str, str], "str | None"]  # (package_version, local status) -> national status


@dataclass(frozen=True)
class Quarantined:
    """A record that cannot be applied (unmapped code, unknown application...): kept with its reason."""

    ref: str
    reason: str
    record: dict[str, Any]


@dataclass(frozen=True)
class InboundCounts:
    """What storing one page of status changes did."""

    stored: int = 0
    duplicates: int = 0
    unchanged: int = 0
    quarantined: int = 0


def change_record(change: StatusChange, national_id: str | None = None) -> dict[str, Any]:
    """What a quarantined change keeps for replay: codes, references and times — no personal data."""
    return {
        "event_id": change.event_id,
        "local_reference": change.local_reference,
        "national_id": national_id or change.national_id,
        "local_status": change.local_status,
        "changed_at": change.changed_at.isoformat(),
    }
