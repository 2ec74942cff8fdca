"""The baseline of ``bench/national_cycle.py``: the GETs the engine sent in the measured cycle (the feed
polls, same URLs and headers) replayed by a plain ``requests.Session`` loop (``trust_env`` off, one
keep-alive session, no ledger) in a fresh process, so its CPU and memory are its own."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from bench.process_memory import proc_status_kb

TIMEOUT = 60


def baseline_child(path: Path) -> int:
    """In a fresh process: replay the recorded GETs with one plain session; print the figures as JSON."""
    calls = json.loads(path.read_text(encoding="utf-8"))
    wall: dict[int, float] = {}
    cpu: dict[int, float] = {}
    statuses: Counter[int] = Counter()
    with requests.Session() as session:
        session.trust_env = False  # loopback only, and no per-call proxy/CA lookups (as the hub's client)
        start, cpu_start = time.perf_counter(), time.process_time()
        for ordinal, url, headers in calls:
            t, c = time.perf_counter(), time.process_time()
            response = session.get(url, headers=headers, timeout=TIMEOUT)
            _ = response.content
            statuses[response.status_code] += 1
            wall[ordinal] = wall.get(ordinal, 0.0) + time.perf_counter() - t
            cpu[ordinal] = cpu.get(ordinal, 0.0) + time.process_time() - c
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "requests": len(calls),
                "statuses": {str(k): v for k, v in statuses.items()},
                "wall": {str(k): v for k, v in wall.items()},
                "cpu": {str(k): v for k, v in cpu.items()},
                "peak_rss_kb": proc_status_kb("VmHWM"),
            }
        )
    )
    return 0


def run_baseline(workdir: Path, gets: list[tuple[int, str, dict[str, str]]]) -> dict[str, Any]:
    """The plain loop, in a fresh process (its own CPU and memory)."""
    path = workdir / "baseline-requests.json"
    path.write_text(json.dumps(gets), encoding="utf-8")
    command = [
        sys.executable,
        str(Path(__file__).resolve().parent / "national_cycle.py"),
        "--baseline-child",
        str(path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=7200)
    if done.returncode != 0:
        raise RuntimeError(f"the baseline loop failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
