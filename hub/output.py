"""How the CLI prints problems, summaries and progress."""

from __future__ import annotations

import io
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, TextIO, cast

from registry.problems import Problem

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


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


# descriptors whose reader went away (EPIPE): output goes to os.devnull from then on
_GONE: set[int] = set()


def reader_gone(stream: TextIO | None = None) -> bool:
    """Whether the reader of ``stream`` (stdout by default) went away: what runs on until stopped
    (``mpphub sync --watch | head``) stops then."""
    stream = stream or sys.stdout
    try:
        stream.flush()
        return stream.fileno() in _GONE
    except (OSError, ValueError):
        return False


class _ReaderMayLeave(io.RawIOBase):
    """A standard stream's file descriptor that, once its reader has gone (EPIPE, as in ``mpphub ... | head``),
    sends the rest of the output to os.devnull instead of raising BrokenPipeError out of whatever printed.
    The command then runs to its end and exits with its own code; it does not own (or close) the descriptor."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        written = 0
        try:
            while written < len(view):  # all of it: unbuffered (python -u) text streams write here directly
                written += os.write(self._fd, view[written:])
        except BrokenPipeError:
            _GONE.add(self._fd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._fd)
            finally:
                os.close(devnull)
        return len(view)


@contextmanager
def closed_pipes_tolerated() -> Iterator[None]:
    """While the CLI runs, a stdout or stderr whose reader went away early (``| head -1``) swallows the rest
    of the output: no BrokenPipeError traceback, no "Exception ignored" at exit, and the exit code stays the
    command's (1 when ``validate`` found problems, even if the problems were never read).

    Only the process's own streams are wrapped (a caller's replacement, e.g. pytest's capture, is left alone);
    they are flushed and put back on the way out."""
    replaced: list[tuple[str, TextIO, TextIO]] = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or stream is not getattr(sys, f"__{name}__") or not isinstance(stream, io.TextIOWrapper):
            continue
        try:
            fd = stream.fileno()
            stream.flush()
        except (OSError, ValueError):  # no descriptor, or already closed
            continue
        raw = _ReaderMayLeave(fd)
        # python -u (PYTHONUNBUFFERED) gives text streams straight over their file: keep it that way
        binary = io.BufferedWriter(raw) if isinstance(stream.buffer, io.BufferedWriter) else cast("BinaryIO", raw)
        safe = io.TextIOWrapper(
            binary,
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=stream.write_through,
        )
        setattr(sys, name, safe)
        replaced.append((name, stream, safe))
    try:
        yield
    finally:
        for name, original, wrapped in replaced:
            if not wrapped.closed:
                wrapped.flush()  # a gone reader is swallowed; any other write error (a full disk) is not
            if getattr(sys, name) is wrapped:
                setattr(sys, name, original)
