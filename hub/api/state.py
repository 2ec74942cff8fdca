"""What the API serves from: the ledger, the registry index (re-read when it changes) and a short-lived
cache of the health report, so that 552 regions and 100,000 services cost one set of aggregates per
``cache_seconds`` however many dashboards poll."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from connectors.ledger.store import Ledger
from hub.health.national import NationalBacklog
from hub.health.queries import read_engine
from hub.health.report import DEFAULT_FAILING_SHARE, DEFAULT_STALL_MINUTES, HealthReport, build_report, series
from registry.index import load_index

log = logging.getLogger("mpphub.api")


# A cached report older than this (and than three refresh intervals) is not served: it is recomputed first.
STALE_AFTER_SECONDS = 30.0


@dataclass
class HubState:
    """Shared by every request of one API process."""

    ledger: Ledger
    registry: Path
    stall_minutes: float = DEFAULT_STALL_MINUTES
    cache_seconds: float = 10.0
    failing_share: float = DEFAULT_FAILING_SHARE
    national: NationalBacklog | None = None  # what waits on the national side (None: not asked: unknown)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _index: dict[str, Any] | None = field(default=None, repr=False)
    _index_stamp: tuple[int, int] | None = field(default=None, repr=False)
    _report: tuple[float, HealthReport] | None = field(default=None, repr=False)
    _refresh: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _reader: Engine | None = field(default=None, repr=False)
    _cost: float = field(default=0.0, repr=False)
    _series: dict[str, tuple[float, list[dict[str, Any]]]] = field(default_factory=dict, repr=False)

    @property
    def reader(self) -> Engine:
        """The engine health's aggregates read with (never the SQLite write lock)."""
        if self._reader is None:
            self._reader = read_engine(self.ledger.engine)
        return self._reader

    def warm_up(self) -> None:
        """Compute the first report in the background, so the first dashboard need not wait for it."""
        if self.cache_seconds > 0 and self._refresh.acquire(blocking=False):
            threading.Thread(target=self._refresh_in_background, name="health-warm-up", daemon=True).start()

    def index(self) -> dict[str, Any]:
        """registry/index.json, re-read when its size or modification time changes."""
        path = self.registry / "index.json"
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        with self._lock:
            if self._index is None or stamp != self._index_stamp:
                self._index, self._index_stamp = load_index(self.registry), stamp
                self._report = None
            return self._index

    def report(self) -> HealthReport:
        """The national health report. The first call computes it; afterwards an answer older than
        ``cache_seconds`` is served once more while a background thread recomputes it, so that no
        request waits for the aggregates of 100,000 services — unless it is stale (older than
        ``STALE_AFTER_SECONDS`` and three intervals, after a quiet spell): then the request waits for a fresh
        one (``cache_seconds=0``: always fresh)."""
        self.index()  # a changed registry drops the cached report
        cached = self._report
        if self.cache_seconds <= 0:
            return self._recompute()
        if cached is None:
            with self._refresh:  # a warm-up or refresh in progress: wait for it rather than repeat it
                return self._report[1] if self._report is not None else self._recompute()
        # refresh no more often than every cache_seconds, nor than five times the last computation took:
        # at national scale a report costs seconds, and polling must not keep a core busy
        interval = max(self.cache_seconds, 5 * self._cost)
        age = time.monotonic() - cached[0]
        if age >= max(STALE_AFTER_SECONDS, 3 * interval):
            # the first request after a quiet spell (a dashboard opened in the morning): wait for a fresh
            # report rather than show one minutes old; one computation at most, shared by whoever waits
            with self._refresh:
                cached = self._report
                if cached is None or time.monotonic() - cached[0] >= interval:
                    return self._recompute()
                return cached[1]
        if age >= interval and self._refresh.acquire(blocking=False):
            threading.Thread(target=self._refresh_in_background, name="health-refresh", daemon=True).start()
        return cached[1]

    def scoped_report(self, region: str | None = None, service_id: str | None = None) -> HealthReport:
        """A fresh report of one region or one service (drill-down pages): its queries read only that
        region's or service's rows, so it is cheap and never stale."""
        return build_report(
            self.reader,
            self.index(),
            self.ledger.clock.now(),
            self.stall_minutes,
            region,
            service_id,
            self.failing_share,
            self.national,
        )

    def _recompute(self) -> HealthReport:
        started = time.monotonic()
        report = build_report(
            self.reader,
            self.index(),
            self.ledger.clock.now(),
            self.stall_minutes,
            failing_share=self.failing_share,
            national=self.national,
        )
        self._cost = time.monotonic() - started
        self._report = (started, report)
        return report

    def _refresh_in_background(self) -> None:
        try:
            self._recompute()
        except Exception:  # the next request tries again; the stale answer stays meanwhile
            log.warning("health refresh failed", exc_info=False)
        finally:
            self._refresh.release()

    def series(self, region: str | None) -> list[dict[str, Any]]:
        """The last 24 hours, hourly, nationally or for one region."""
        key = region or "*"
        now = time.monotonic()
        cached = self._series.get(key)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        points = series(self.reader, self.ledger.clock.now(), [region] if region else None)
        self._series[key] = (now, points)
        return points

    def invalidate(self) -> None:
        """Forget cached health (after a replay or a publish)."""
        self._report = None
        self._series.clear()
