"""The audit log: append-only records chained by sha256, so that an edited or deleted row is detected.

Each record's ``hash`` is sha256 over the canonical JSON of its fields (seq, at, actor, action, subject,
details) followed by the previous record's hash; the first record's previous hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from connectors.ledger.base import LedgerBase
from connectors.ledger.models import AuditRecord
from connectors.ledger.types import as_utc

GENESIS = "0" * 64
_APPEND_TRIES = 5


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain stops holding: the first sequence number that does not verify, and why."""

    seq: int
    reason: str


def _stamp(at: datetime) -> str:
    """One text form of a time on every database (SQLite returns naive UTC, PostgreSQL aware)."""
    value = as_utc(at) or at
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(seq: int, at: datetime, actor: str, action: str, subject: str, details: Any, prev_hash: str) -> str:
    """sha256 over the canonical JSON of a record's fields, then the previous hash."""
    body = {"seq": seq, "at": _stamp(at), "actor": actor, "action": action, "subject": subject, "details": details}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((canonical + prev_hash).encode("utf-8")).hexdigest()


def _fit(text: str, column: str) -> str:
    """``text`` cut to the width of audit column ``column``, marked with ``...`` when cut."""
    width = int(getattr(AuditRecord.__table__.c[column].type, "length", None) or len(text))
    return text if len(text) <= width else text[: width - 3] + "..."


def _row(record: Any) -> dict[str, Any]:
    data = dict(record._mapping)
    data["at"] = _stamp(data["at"])
    return data


class AuditLedger(LedgerBase):
    """Appending to, reading and verifying the audit chain."""

    def append_audit(self, actor: str, action: str, subject: str, details: dict[str, Any] | None = None) -> int:
        """Append one record; returns its sequence number. Concurrent appenders retry on a taken seq."""
        details = json.loads(json.dumps(details or {}, default=str))  # what the database will give back
        # hash what is stored: a field longer than its column (a login name is whatever the machine says)
        # is cut, marked, *before* hashing, or verify would call the untouched chain edited
        actor, action, subject = _fit(actor, "actor"), _fit(action, "action"), _fit(subject, "subject")
        at = self.clock.now()
        for _ in range(_APPEND_TRIES):
            try:
                with self.engine.begin() as conn:
                    last = conn.execute(
                        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
                    ).first()
                    seq = 1 if last is None else int(last.seq) + 1
                    prev = GENESIS if last is None else str(last.hash)
                    digest = record_hash(seq, at, actor, action, subject, details, prev)
                    conn.execute(
                        insert(AuditRecord).values(
                            seq=seq,
                            at=at,
                            actor=actor,
                            action=action,
                            subject=subject,
                            details=details,
                            prev_hash=prev,
                            hash=digest,
                        )
                    )
                    return seq
            except IntegrityError:
                continue  # another appender took this seq: read the new tail and chain after it
        raise RuntimeError("could not append to the audit log: too many concurrent appenders")

    def audit_records(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest records first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit))
            return [_row(r) for r in rows]

    def audit_record(self, seq: int) -> dict[str, Any] | None:
        """One record by sequence number, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(AuditRecord).where(AuditRecord.seq == seq)).first()
            return None if row is None else _row(row)

    def audit_count(self) -> int:
        """How many records the log holds."""
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(AuditRecord)) or 0)

    def verify_audit(self) -> ChainBreak | None:
        """Recompute the chain from the first record; the first break found, or None when it holds."""
        expected_seq, prev = 1, GENESIS
        with self.engine.connect() as conn:
            for r in conn.execute(select(AuditRecord).order_by(AuditRecord.seq)):
                if r.seq != expected_seq:
                    return ChainBreak(expected_seq, f"record {expected_seq} is missing (next is {r.seq})")
                if r.prev_hash != prev:
                    return ChainBreak(r.seq, "its previous hash does not match the record before it")
                if record_hash(r.seq, r.at, r.actor, r.action, r.subject, r.details, r.prev_hash) != r.hash:
                    return ChainBreak(r.seq, "its content does not match its hash (edited)")
                expected_seq, prev = expected_seq + 1, r.hash
        return None
