"""What every drill shares: its size (reduced in CI, full by ``MPPHUB_DRILL_SCALE=full``), a short
``report`` line per thing tried and held (visible with ``pytest -s``), and the hub's clock shift."""

from __future__ import annotations

import os
import time
from typing import TypeVar

T = TypeVar("T")

SCALE_VARIABLE = "MPPHUB_DRILL_SCALE"


def full_scale() -> bool:
    """True when ``MPPHUB_DRILL_SCALE=full`` (the documented full-size run); CI runs the reduced size."""
    return os.environ.get(SCALE_VARIABLE, "ci").strip().lower() == "full"


def sized(ci: T, full: T) -> T:
    """The reduced value in CI, the full one under ``MPPHUB_DRILL_SCALE=full``."""
    return full if full_scale() else ci


def report(drill: str, message: str) -> None:
    """One short line: what a drill tried, or what held (``pytest -s tests/drills`` shows them)."""
    print(f"[drill {drill} +{time.monotonic() - _STARTED:.0f}s] {message}", flush=True)


_STARTED = time.monotonic()
