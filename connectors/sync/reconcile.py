"""Reconciliation: per-(region, service, day) counts and checksums on both sides; drift is reported —
the safety net for anything a cursor missed."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from connectors.sync.context import SyncContext


@dataclass(frozen=True)
class Drift:
    """One (service, day) where the hub and the national layer disagree."""

    service_id: str
    day: str
    hub_count: int
    national_count: int
    checksum_equal: bool

    def describe(self) -> str:
        """One line for the report."""
        if self.hub_count != self.national_count:
            return f"{self.service_id} {self.day}: hub {self.hub_count}, national {self.national_count}"
        return f"{self.service_id} {self.day}: same count ({self.hub_count}) but statuses differ"


def checksum(lines: list[tuple[str, str]]) -> str:
    """sha256 of ``<id>:<status>\\n`` lines sorted by id — the national contract's definition."""
    text = "".join(f"{national_id}:{status}\n" for national_id, status in sorted(lines))
    return hashlib.sha256(text.encode()).hexdigest()


def reconcile(ctx: SyncContext, region: str, first: date, last: date) -> list[Drift]:
    """Compare [first, last] (UTC days of submission) for one region; empty when both sides agree."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    hub: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for service_id, national_id, submitted_at, status in ctx.ledger.national_view(region, start, end):
        hub[(service_id, submitted_at.astimezone(UTC).date().isoformat())].append((national_id, status))
    national = ctx.national.reconciliation(region, first.isoformat(), last.isoformat())
    theirs = {(row["service_id"], row["day"]): row for row in national["rows"]}
    drifts = []
    for key in sorted(set(hub) | set(theirs)):
        ours = hub.get(key, [])
        row = theirs.get(key)
        national_count = int(row["count"]) if row else 0
        same = row is not None and row["checksum"] == checksum(ours)
        if len(ours) != national_count or not same:
            drifts.append(Drift(key[0], key[1], len(ours), national_count, same))
    return drifts
