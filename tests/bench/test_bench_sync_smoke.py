"""Smoke test of ``bench/sync_throughput.py`` at tiny sizes: it runs end to end and reports what it
promises (keys, sizes, counts that match). Never timings: speed is the benchmark's business."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

KEYS = {
    "inbound_vs_dlt",
    "outbound_vs_plain",
    "rss_ratio_100k_10k",
    "inbound_hub_events_per_s",
    "inbound_dlt_events_per_s",
    "inbound_events",
    "inbound_events_pushed",
    "outbound_hub_applications_per_s",
    "outbound_plain_posts_per_s",
    "outbound_applications",
    "rss_sizes",
    "rss_peak_kb",
}


@pytest.mark.slow
def test_the_benchmark_runs_at_tiny_sizes_and_reports_every_figure() -> None:
    command = [
        sys.executable,
        str(REPO / "bench" / "sync_throughput.py"),
        "--json",
        "--applications",
        "50",
        "--events",
        "150",
        "--attachment-kb",
        "4",
        "--rss-sizes",
        "20,40",
    ]
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) >= KEYS
    # the script asserts the counts against the sandboxes' truth; these are what it reports of them
    assert figures["outbound_applications"] == figures["outbound_hub_acknowledged"] == 50
    assert figures["outbound_plain_posted"] == 50
    assert figures["inbound_events"] >= 150
    assert figures["inbound_events_hub_read"] == figures["inbound_events_dlt_loaded"] == figures["inbound_events"]
    assert 0 < figures["inbound_events_pushed"] <= figures["inbound_events"]
    assert figures["rss_sizes"] == [20, 40]
    assert all(v > 0 for v in figures["rss_peak_kb"])
    for key in ("inbound_vs_dlt", "outbound_vs_plain", "rss_ratio_100k_10k"):
        assert isinstance(figures[key], float) and figures[key] > 0, key
