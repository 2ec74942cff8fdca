"""How the CLI prints problems, summaries and progress."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from registry.problems import Problem


def print_problems(problems: Sequence[Problem], fmt: str, out: TextIO | None = None) -> None:
    """Text: one ``file::$.path: message`` line each. JSON: one list of objects. Default: stdout."""
    out = out or sys.stdout
    if fmt == "json":
        json.dump([p.as_dict() for p in problems], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for problem in problems:
            out.write(problem.as_line() + "\n")


def plural(n: int, word: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class ProgressLine:
    """A single self-overwriting progress line on stderr, shown only on a terminal and for long runs."""

    def __init__(self, label: str, stream: TextIO | None = None, min_total: int = 200) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.min_total = min_total
        self._last = 0.0
        self._start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        """Report progress; redraws at most 10 times a second."""
        if not self.enabled or total < self.min_total:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        rate = done / max(now - self._start, 1e-9)
        self.stream.write(f"\r{self.label} {done}/{total} ({rate:,.0f}/s)")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
