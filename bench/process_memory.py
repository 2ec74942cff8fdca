"""This process's memory as the benchmarks report it, read from ``/proc/self/status``."""

from __future__ import annotations

import resource
from pathlib import Path


def proc_status_kb(name: str) -> int:
    """A KiB figure of this process from /proc/self/status (VmRSS: now, VmHWM: peak). Without /proc, the
    peak from ``getrusage`` (Linux reports it in KiB) and 0 for the current size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) if name == "VmHWM" else 0
