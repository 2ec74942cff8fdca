"""Per-region history: one ``region_history`` row per region per UTC hour.

The ledger keeps no run row for idle flows (``AdminLedger.flush_idle_runs``) and the health record holds
only the latest run, so "how did this region do over the last two weeks" needs a record of its own. At the
end of every sync cycle the engine samples the cycle's regions — the lag of the oldest waiting item, the
backlog (undelivered applications and unpushed status events), the open dead letters, and the cycle's
failed flow runs — and upserts each region's row of the current hour in place:

- ``lag_seconds``, ``backlog``, ``dead_letters``: the worst value sampled in the hour;
- ``failures``: failed flow runs (retriable or fatal) of the hour, summed over its cycles;
- ``samples``: how many cycles wrote the row.

A cycle costs three grouped reads (one per fact, over every region of the cycle, by index) and one
batched upsert, whatever the number of its services or regions, in the one transaction that also writes
the cycle's idle runs (``Ledger.end_cycle``; sampled after them); once an hour the rows older than the
retention (``MPPHUB_HISTORY_DAYS``, 30 days by default) are deleted in the same transaction. Several
workers may sample the same region in the same hour: the upsert takes the worse value, so their order does
not matter. The national backlog (applications not pulled yet) is not sampled: the sync does not ask the
national layer for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.ledger.base import LedgerBase
from connectors.ledger.models import Application, DeadLetter, RegionHistory, StatusEvent
from connectors.ledger.types import as_utc

HISTORY_DAYS_SETTING = "MPPHUB_HISTORY_DAYS"
DEFAULT_HISTORY_DAYS = 30
MAX_HISTORY_DAYS = 3660  # ten years: a bound that keeps a typo (300000) from meaning "never prune"
WAITING = ("pending", "sending")  # as health counts an application's backlog (hub/health/queries.py)
# regions per IN list: well below every engine's bound on bound parameters
_CHUNK = 500


def history_days(environ: Mapping[str, str] | None = None) -> int:
    """The retention of ``region_history`` in days, from ``MPPHUB_HISTORY_DAYS`` (default 30); a value that
    is not a whole number from 1 to 3660 is refused with the reason."""
    env = os.environ if environ is None else environ
    text = env.get(HISTORY_DAYS_SETTING, "").strip()
    if not text:
        return DEFAULT_HISTORY_DAYS
    if not text.isdigit() or not 1 <= int(text) <= MAX_HISTORY_DAYS:
        raise ValueError(
            f"{HISTORY_DAYS_SETTING} must be a whole number of days from 1 to {MAX_HISTORY_DAYS}, not {text[:40]!r}"
        )
    return int(text)


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour ``moment`` falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]


def sample_regions(conn: Connection, regions: list[str], now: datetime) -> dict[str, dict[str, int]]:
    """Each region's lag (seconds since its oldest waiting application or pending status event was taken
    in), backlog and open dead letters now, read on ``conn`` (in its transaction: what it wrote before is
    seen) with three grouped queries per 500 regions."""
    found: dict[str, dict[str, Any]] = {code: {"oldest": [], "backlog": 0, "dead_letters": 0} for code in regions}
    for chunk in _chunks(regions):
        waiting = (
            select(Application.region, func.count(), func.min(Application.submitted_at))
            .where(Application.region.in_(chunk), Application.delivery.in_(WAITING))  # ix_application_region
            .group_by(Application.region)
        )
        pending = (
            select(StatusEvent.region, func.count(), func.min(StatusEvent.created_at))
            .where(StatusEvent.region.in_(chunk), StatusEvent.state == "pending")  # the partial index
            .group_by(StatusEvent.region)
        )
        for query in (waiting, pending):
            for code, count, oldest in conn.execute(query):
                found[code]["backlog"] += int(count)
                if oldest is not None:
                    found[code]["oldest"].append(_aware(oldest))
        letters = (
            select(DeadLetter.region, func.count())
            .where(DeadLetter.region.in_(chunk), DeadLetter.replayed_at.is_(None))  # ix_dead_letter_open
            .group_by(DeadLetter.region)
        )
        for code, count in conn.execute(letters):
            found[code]["dead_letters"] = int(count)
    return {
        code: {
            "lag_seconds": max(0, int((now - min(facts["oldest"])).total_seconds())) if facts["oldest"] else 0,
            "backlog": int(facts["backlog"]),
            "dead_letters": int(facts["dead_letters"]),
        }
        for code, facts in found.items()
    }


def _aware(value: Any) -> datetime:
    """An aggregate over a UtcDateTime column: a datetime (naive on SQLite: UTC) or, on SQLite, text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value) or value


def read_region_history(engine: Engine, region: str, since: datetime) -> list[dict[str, Any]]:
    """A region's hourly rows from the hour of ``since`` on, oldest first (the dashboard's chart)."""
    query = (
        select(
            RegionHistory.hour,
            RegionHistory.lag_seconds,
            RegionHistory.backlog,
            RegionHistory.failures,
            RegionHistory.dead_letters,
            RegionHistory.samples,
        )
        .where(RegionHistory.region == region, RegionHistory.hour >= hour_of(since))
        .order_by(RegionHistory.hour)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


class HistoryLedger(LedgerBase):
    """Writes the per-region history at the end of each sync cycle (``record_region_history``)."""

    def __init__(self, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(engine, clock)
        # read once: a bad value is refused when the ledger opens, not at the end of some cycle
        self.history_days = history_days()
        self._pruned_hour: datetime | None = None  # the hour this process last pruned in
        self._history_lock = threading.Lock()

    def record_region_history(self, failures_by_region: Mapping[str, int], now: datetime | None = None) -> int:
        """Sample the regions of a cycle (the keys; values: the cycle's failed flow runs in each) and upsert
        their rows of the current hour, in one transaction with one batched statement (plus, once an hour,
        the pruning of rows beyond the retention). Returns how many regions were written. The sync engine
        writes them with the cycle's idle runs instead (``Ledger.end_cycle``)."""
        if not failures_by_region:
            return 0
        with self.engine.begin() as conn:
            return self._write_region_history(conn, failures_by_region, now or self.clock.now())

    def _write_region_history(self, conn: Connection, failures_by_region: Mapping[str, int], now: datetime) -> int:
        """``record_region_history`` inside the caller's transaction: sampled on ``conn``, so what the
        transaction wrote before is counted."""
        regions = sorted(failures_by_region)
        if not regions:
            return 0
        hour = hour_of(now)
        sampled = sample_regions(conn, regions, now)
        rows = [
            {
                "region": code,
                "hour": hour,
                "lag_seconds": sampled[code]["lag_seconds"],
                "backlog": sampled[code]["backlog"],
                "failures": max(0, int(failures_by_region[code])),
                "dead_letters": sampled[code]["dead_letters"],
                "samples": 1,
                "updated_at": now,
            }
            for code in regions
        ]
        with self._history_lock:  # several sync threads end cycles of one ledger: one of them prunes an hour
            prune = self._pruned_hour != hour
            self._pruned_hour = hour
        conn.execute(self._upsert(), rows)
        if prune:
            cutoff = hour - timedelta(days=self.history_days)
            conn.execute(delete(RegionHistory).where(RegionHistory.hour < cutoff))
        return len(rows)

    def _upsert(self) -> Any:
        """INSERT ... ON CONFLICT (region, hour) DO UPDATE: the worse of the stored and the new sample."""
        table = cast(Table, RegionHistory.__table__)
        dialect = self.engine.dialect.name
        insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        new = insert.excluded

        def worst(name: str) -> Any:
            return case((new[name] > table.c[name], new[name]), else_=table.c[name])

        return insert.on_conflict_do_update(
            index_elements=[table.c.region, table.c.hour],
            set_={
                "lag_seconds": worst("lag_seconds"),
                "backlog": worst("backlog"),
                "dead_letters": worst("dead_letters"),
                "failures": table.c.failures + new.failures,
                "samples": table.c.samples + 1,
                "updated_at": new.updated_at,
            },
        )
