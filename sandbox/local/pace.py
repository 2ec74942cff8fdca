"""The officers' background pace: a daemon thread that works every interval (demo, dry runs, soak runs);
tests step the officers by hand instead, so that what happens is deterministic."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Pace:
    """Calls ``tick`` every ``interval_s`` seconds from a daemon thread, until stopped or re-paced."""

    def __init__(self, tick: Callable[[], None]) -> None:
        self._tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.interval_s: float | None = None

    def start(self, interval_s: float) -> None:
        """(Re)start at ``interval_s``."""
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.stop()
        self._stop = threading.Event()
        self.interval_s = interval_s
        self._thread = threading.Thread(target=self._run, args=(interval_s, self._stop), name="officers", daemon=True)
        self._thread.start()

    def _run(self, interval_s: float, stop: threading.Event) -> None:
        while not stop.wait(interval_s):
            self._tick()

    def stop(self) -> None:
        """Stop the pace (no effect when not running)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread, self.interval_s = None, None
