"""`mpphub init` on a terminal: ending the questions early (Ctrl-D, Ctrl-C) says so in one line, without a
traceback, exits non-zero (1 for end of input, 130 for an interrupt) and writes nothing."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

CTRL_C, CTRL_D = b"\x03", b"\x04"


def _take_the_terminal() -> None:
    # in the child, a session leader (start_new_session): the pty on stdin becomes its controlling
    # terminal, so Ctrl-C typed there is a SIGINT to it, as in a shell
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _init_at_a_terminal(out: Path, keys: bytes) -> tuple[int, str, str]:
    """Run ``mpphub init`` with stdin a terminal, type ``keys`` at its first question; exit code, stdout, stderr."""
    master, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "init", "35.76", "izin-reklame", "--out", str(out)],
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            start_new_session=True,
            preexec_fn=_take_the_terminal,
        )
        os.close(terminal)
        assert process.stdout is not None
        shown = b""
        deadline = time.monotonic() + 60
        while b"Nama layanan" not in shown:  # the first question (input() flushes its prompt)
            assert time.monotonic() < deadline, f"no prompt; stdout so far: {shown!r}"
            ready, _, _ = select.select([process.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(process.stdout.fileno(), 4096)
                assert chunk, f"stdout closed before the prompt: {shown!r}"
                shown += chunk
        time.sleep(0.2)  # let it get from printing the prompt to waiting on the terminal
        os.write(master, keys)
        try:
            rest, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            # a SIGINT that lands between input()'s flush of the prompt and its read() of the terminal only
            # sets Python's flag, and the read() then waits for more input: a person would press Ctrl-C again
            assert keys == CTRL_C, "no exit after the keys were typed"
            os.write(master, keys)
            rest, err = process.communicate(timeout=30)
    finally:
        os.close(master)
    return process.returncode, (shown + rest).decode(), err.decode()


@pytest.mark.parametrize(
    ("keys", "code", "why"), [(CTRL_D, 1, "end of input"), (CTRL_C, 130, "interrupted")], ids=["ctrl-d", "ctrl-c"]
)
def test_ending_the_questions_early_writes_nothing(tmp_path: Path, keys: bytes, code: int, why: str) -> None:
    out = tmp_path / "35.76" / "izin-reklame.json"
    returncode, _, err = _init_at_a_terminal(out, keys)
    assert err == f"mpphub init: cancelled ({why}), nothing written\n"
    assert returncode == code
    assert not out.exists() and not out.parent.exists()


def test_at_a_terminal_the_questions_still_write_a_package(tmp_path: Path) -> None:
    out = tmp_path / "izin-reklame.json"
    # Enter for the 10 other questions a rest package asks (name_en ... contact_email)
    returncode, stdout, err = _init_at_a_terminal(out, b"Izin Reklame\n" + b"\n" * 10)
    assert (returncode, err) == (0, "")
    assert f"wrote {out}" in stdout and out.is_file()
