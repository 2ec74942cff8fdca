"""Smoke test of ``bench/national_cycle.py`` at a tiny size: it runs end to end and reports what it
promises (keys, sizes, counts that add up). Never timings: speed is the benchmark's business."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

KEYS = {
    "services",
    "cycle_seconds",
    "cpu_ms_per_idle_service",
    "ledger_rows_per_idle_service",
    "requests_per_idle_service",
    "peak_rss_mib",
    "national_cycle_seconds_per_worker",
    "workers_for_5_minutes",
    "baseline_cycle_seconds",
    "baseline_requests_per_idle_service",
    "ledger_row_writes_per_idle_service",
    "idle_services",
    "ratios",
}


@pytest.mark.slow
def test_the_benchmark_runs_at_a_tiny_size_and_reports_every_figure() -> None:
    command = [
        sys.executable,
        str(REPO / "bench" / "national_cycle.py"),
        "--json",
        "--services",
        "20",
        "--latency-ms",
        "0",
        "--workers",
        "2",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) >= KEYS
    assert figures["services"] == 20
    assert figures["services_with_errors"] == 0
    # a few services were given work, the rest stayed idle (and the engine agreed they were)
    assert 0 < figures["idle_services"] < 20
    assert figures["idle_services"] + figures["active_services"] + figures["active_misjudged_idle"] == 20
    for key in ("ledger_rows_per_idle_service", "ledger_row_writes_per_idle_service", "cpu_ms_per_idle_service"):
        assert isinstance(figures[key], int | float) and figures[key] >= 0, key
    # every idle service polls at least its feeds; the baseline replays only those GETs
    assert figures["requests_per_idle_service"] >= figures["baseline_requests_per_idle_service"] >= 1
    # the hub's own count of its requests and the sandboxes' count agree; the baseline's requests all arrived
    assert figures["requests_counted_by_hub"] == figures["requests_counted_by_sandboxes"]
    assert figures["baseline_requests"] == figures["baseline_requests_counted_by_sandboxes"]
    assert figures["baseline_failed_statuses"] == {}
    assert figures["peak_rss_mib"] > 0 and figures["baseline_peak_rss_mib"] > 0
    assert figures["cycle_seconds"] > 0 and figures["baseline_cycle_seconds"] > 0
    assert figures["national_cycle_seconds_per_worker"] > 0
    assert isinstance(figures["workers_for_5_minutes"], int) and figures["workers_for_5_minutes"] >= 1
    # --workers 2: a second cycle by two worker processes, each over its share, none failing
    workers = figures["workers_cycle"]
    assert workers["workers"] == 2 and len(workers["worker_seconds"]) == len(workers["worker_cpu_seconds"]) == 2
    assert workers["services_with_errors"] == 0
    assert workers["cycle_seconds"] >= max(workers["worker_seconds"]) > 0
    assert workers["national_cycle_seconds"] > 0 and isinstance(workers["fits_5_minutes"], bool)
