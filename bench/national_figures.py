"""The figures of ``bench/national_cycle.py``: what one measured cycle cost its idle services, against the
plain loop of the same polls (its baseline), and the national extrapolation.

``national_cycle.py`` runs the cycle and records per-service marks (``CycleMarks``) and counters; this
module only reads them: which services were idle (given nothing to do, and the engine found nothing),
what their spans of wall, CPU, HTTP and SQL add up to (the cycle's end, ``Ledger.end_cycle``, counted as
theirs), and the figures and ratios the benchmark prints."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.cycle_counters import HttpRecorder
from connectors.sync.engine import ServiceResult

NATIONAL_SERVICES = 100_000
CYCLE_TARGET_SECONDS = 300.0
# Counts that mean "looked, nothing new" (as the engine judges an idle run: connectors/sync/engine.py)
NOTHING_NEW = {"catalogue.unchanged", "status_pull.read", "status_pull.duplicates", "status_pull.unchanged"}

SqlMark = tuple[int, int, float, Counter[str]]  # statements, commits, seconds, rows written by table


@dataclass
class CycleMarks:
    """Per-service wall/CPU/SQL marks of one ``run_once`` (from its progress callback)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    sql: list[SqlMark] = field(default_factory=list)
    results: list[ServiceResult] = field(default_factory=list)
    # (wall, CPU, SQL) when ``run_once`` returned, after the last service's mark
    tail: tuple[float, float, SqlMark] | None = None


@dataclass
class MeasuredCycle:
    """The measured cycle: its marks and times, and what was counted around it."""

    marks: CycleMarks
    seconds: float
    cpu_seconds: float
    rows_before: dict[str, Counter[str]]
    rows_after: dict[str, Counter[str]]
    rss_before_kb: int
    rss_after_kb: int
    peak_kb: int
    served: dict[str, int]  # requests each sandbox server counted


@dataclass
class IdleCost:
    """What the idle services cost in the measured cycle, summed over them."""

    ordinals: list[int]
    misjudged: int  # given nothing to do, yet the engine found work: not counted as idle
    errors: int  # services whose run reported an error (any service)
    misjudged_counts: Counter[str] = field(default_factory=Counter)  # what the engine found there
    wall: float = 0.0
    cpu: float = 0.0
    tail_cpu: float = 0.0
    requests: int = 0
    http_seconds: float = 0.0
    gets: int = 0
    statements: int = 0
    commits: int = 0
    sql_seconds: float = 0.0
    writes: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    rows_by_table: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many idle services (at least 1, to divide by)."""
        return max(len(self.ordinals), 1)


def idle_cost(cycle: MeasuredCycle, active: set[str], recorder: HttpRecorder) -> IdleCost:
    """Split the measured cycle's marks and counters between idle and active services; the idle sums."""
    marks = cycle.marks
    ordinals: list[int] = []
    misjudged = errors = 0
    found: Counter[str] = Counter()
    for ordinal, result in enumerate(marks.results):
        work = {k: v for k, v in result.counts.items() if k not in NOTHING_NEW and v}
        errors += bool(result.errors or result.fatal)
        if result.service_id not in active:
            if not work and not result.errors:
                ordinals.append(ordinal)
            else:
                misjudged += 1
                found.update(work)
                found.update({"errors": len(result.errors)} if result.errors else {})
    cost = IdleCost(ordinals, misjudged, errors, found)
    for o in ordinals:
        cost.wall += marks.wall[o + 1] - marks.wall[o]
        cost.cpu += marks.cpu[o + 1] - marks.cpu[o]
        _add_sql(cost, marks.sql[o], marks.sql[o + 1])
    if marks.tail is not None:  # the cycle's end (its idle runs written together) counts as idle services' cost
        cost.wall += marks.tail[0] - marks.wall[-1]
        cost.tail_cpu = marks.tail[1] - marks.cpu[-1]
        cost.cpu += cost.tail_cpu
        _add_sql(cost, marks.sql[-1], marks.tail[2])
    cost.requests = sum(recorder.per_service[o] for o in ordinals)
    cost.http_seconds = sum(recorder.seconds.get(o, 0.0) for o in ordinals)
    lookup = set(ordinals)
    cost.gets = sum(1 for o, _, _ in recorder.gets if o in lookup)
    idle_ids = {marks.results[o].service_id for o in ordinals}
    for table, after in cycle.rows_after.items():
        before = cycle.rows_before.get(table, Counter())
        cost.rows_by_table[table] = sum(after.values()) - sum(before.values())
        cost.rows += sum(after[s] - before[s] for s in idle_ids)
    return cost


def _add_sql(cost: IdleCost, start: SqlMark, end: SqlMark) -> None:
    cost.statements += end[0] - start[0]
    cost.commits += end[1] - start[1]
    cost.sql_seconds += end[2] - start[2]
    cost.writes.update(end[3] - start[3])


def figures(
    run: dict[str, Any], cycle: MeasuredCycle, idle: IdleCost, base: dict[str, Any], recorder: HttpRecorder
) -> dict[str, Any]:
    """The benchmark's figures. ``run``: what was run (services, regions, active services, concurrency,
    latencies, the warm-up's times); ``base``: the baseline loop's own figures (``run_baseline``)."""
    services = len(cycle.marks.results)
    n = idle.count
    national_s = cycle.seconds / services * NATIONAL_SERVICES
    base_national_s = base["seconds"] / services * NATIONAL_SERVICES
    cpu_ms_idle = idle.cpu / n * 1000
    base_cpu_ms_idle = sum(base["cpu"].get(str(o), 0.0) for o in idle.ordinals) / n * 1000
    base_idle_wall = sum(base["wall"].get(str(o), 0.0) for o in idle.ordinals)
    found: dict[str, Any] = {
        "services": services,
        "regions": run["regions"],
        "idle_services": len(idle.ordinals),
        "active_services": run["active_services"],
        "active_misjudged_idle": idle.misjudged,
        "misjudged_counts": dict(idle.misjudged_counts.most_common()),
        "services_with_errors": idle.errors,
        "concurrency": run["concurrency"],
        "latency_ms": run["latency_ms"],
        "national_latency_ms": run["national_latency_ms"],
        "warmup_cycle_seconds": round(run["warmup_seconds"], 2),
        "warmup_cpu_seconds": round(run["warmup_cpu_seconds"], 2),
        "cycle_seconds": round(cycle.seconds, 3),
        "cycle_cpu_seconds": round(cycle.cpu_seconds, 3),
        "cycle_end_cpu_ms": round(idle.tail_cpu * 1000, 3),
        "idle_wall_ms_per_service": round(idle.wall / n * 1000, 3),
        "cpu_ms_per_idle_service": round(cpu_ms_idle, 3),
        "http_ms_per_idle_service": round(idle.http_seconds / n * 1000, 3),
        "sql_ms_per_idle_service": round(idle.sql_seconds / n * 1000, 3),
        "ledger_rows_per_idle_service": round(idle.rows / n, 4),
        "ledger_row_writes_per_idle_service": round(sum(idle.writes.values()) / n, 3),
        "ledger_row_writes_by_table_per_idle_service": {k: round(v / n, 3) for k, v in sorted(idle.writes.items())},
        "ledger_statements_per_idle_service": round(idle.statements / n, 2),
        "ledger_transactions_per_idle_service": round(idle.commits / n, 2),
        "ledger_rows_added_by_table": idle.rows_by_table,
        "requests_per_idle_service": round(idle.requests / n, 3),
        "requests_by_method": dict(recorder.methods),
        "requests_counted_by_sandboxes": sum(cycle.served.values()),
        "requests_counted_by_hub": sum(recorder.per_service.values()),
        "peak_rss_mib": round(cycle.peak_kb / 1024, 1),
        "rss_growth_in_cycle_mib": round((cycle.rss_after_kb - cycle.rss_before_kb) / 1024, 1),
        "national_cycle_seconds_per_worker": round(national_s, 1),
        "workers_for_5_minutes": math.ceil(national_s / CYCLE_TARGET_SECONDS),
        "cpu_bound_national_cycle_seconds": round(cycle.cpu_seconds / services * NATIONAL_SERVICES, 1),
        "baseline_cycle_seconds": round(base["seconds"], 3),
        "baseline_cpu_seconds": round(base["cpu_seconds"], 3),
        "baseline_idle_wall_ms_per_service": round(base_idle_wall / n * 1000, 3),
        "baseline_cpu_ms_per_idle_service": round(base_cpu_ms_idle, 3),
        "baseline_requests_per_idle_service": round(idle.gets / n, 3),
        "baseline_requests": base["requests"],
        "baseline_requests_counted_by_sandboxes": base["served_total"],
        "baseline_failed_statuses": {k: v for k, v in base["statuses"].items() if not k.startswith("2")},
        "baseline_ledger_rows_per_idle_service": 0,
        "baseline_peak_rss_mib": round(base["peak_rss_kb"] / 1024, 1),
        "baseline_national_cycle_seconds_per_worker": round(base_national_s, 1),
        "baseline_workers_for_5_minutes": math.ceil(base_national_s / CYCLE_TARGET_SECONDS),
    }
    found["ratios"] = {
        "cycle_seconds": ratio(cycle.seconds, base["seconds"]),
        "cpu_ms_per_idle_service": ratio(cpu_ms_idle, base_cpu_ms_idle),
        "requests_per_idle_service": ratio(idle.requests, idle.gets),
        "peak_rss_mib": ratio(cycle.peak_kb, base["peak_rss_kb"]),
        "national_cycle_seconds_per_worker": ratio(national_s, base_national_s),
    }
    return found


def ratio(value: float, baseline: float) -> float | None:
    """``value`` over ``baseline``, to 2 places; None without a baseline."""
    return round(value / baseline, 2) if baseline else None


def workers_figures(by_workers: dict[str, Any], services: int) -> dict[str, Any]:
    """The cycle by N worker processes: its wall time, each worker's CPU, and the nation extrapolated."""
    national_s = by_workers["seconds"] / services * NATIONAL_SERVICES
    return {
        "workers": by_workers["workers"],
        "cycle_seconds": round(by_workers["seconds"], 3),
        "worker_seconds": [round(w["seconds"], 3) for w in by_workers["each"]],
        "worker_cpu_seconds": [round(w["cpu_seconds"], 3) for w in by_workers["each"]],
        "services_with_errors": sum(w["errors"] for w in by_workers["each"]),
        "national_cycle_seconds": round(national_s, 1),
        "fits_5_minutes": national_s <= CYCLE_TARGET_SECONDS,
    }
