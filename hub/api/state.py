"""What the API serves from: the ledger, the registry index (re-read when it changes) and a short-lived
cache of the health report, so that 552 regions and 100,000 services cost one set of aggregates per
``cache_seconds`` however many dashboards poll."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.ledger.store import Ledger
from connectors.ledger.types import utcnow
from hub.health.report import DEFAULT_STALL_MINUTES, HealthReport, build_report, series
from registry.index import load_index


@dataclass
class HubState:
    """Shared by every request of one API process."""

    ledger: Ledger
    registry: Path
    stall_minutes: float = DEFAULT_STALL_MINUTES
    cache_seconds: float = 10.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _index: dict[str, Any] | None = field(default=None, repr=False)
    _index_stamp: tuple[int, int] | None = field(default=None, repr=False)
    _report: tuple[float, HealthReport] | None = field(default=None, repr=False)
    _series: dict[str, tuple[float, list[dict[str, Any]]]] = field(default_factory=dict, repr=False)

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
        """The national health report, at most ``cache_seconds`` old."""
        index = self.index()
        now = time.monotonic()
        cached = self._report
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        report = build_report(self.ledger.engine, index, utcnow(), self.stall_minutes)
        self._report = (now, report)
        return report

    def series(self, region: str | None) -> list[dict[str, Any]]:
        """The last 24 hours, hourly, nationally or for one region."""
        key = region or "*"
        now = time.monotonic()
        cached = self._series.get(key)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        points = series(self.ledger.engine, utcnow(), [region] if region else None)
        self._series[key] = (now, points)
        return points

    def invalidate(self) -> None:
        """Forget cached health (after a replay or a publish)."""
        self._report = None
        self._series.clear()
