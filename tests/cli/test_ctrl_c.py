"""Ctrl-C on `mpphub demo` and `mpphub sandbox up`, as a terminal sends it: SIGINT to the whole foreground
process group (the command and every server process it started). Each ends with one "stopped" line, exit
code 130 and no traceback, and leaves nothing behind: no process of its session, no temporary folder, no
scratch database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sandbox.world import ADMIN_URLS
from tests.conftest import REPO

MPPHUB = [sys.executable, "-m", "hub.cli"]


def _session_members(session: int) -> list[int]:
    """Live (not zombie) processes of ``session``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if fields[0] != "Z" and int(fields[3]) == session:  # state, ppid, pgrp, session
                found.append(int(entry.name))
    return found


def _ctrl_c_once_ready(command: list[str], ready: str, tmp_path: Path) -> tuple[int, str, str, list[int]]:
    """Start ``command`` in a session of its own (its own foreground group, as from a terminal), wait for
    the ``ready`` line, send SIGINT to its group; exit code, stdout, stderr, and what of it still lived
    a moment after it ended (always killed before returning)."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONUNBUFFERED": "1"}
    with out.open("w", encoding="utf-8") as stdout, err.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while ready not in out.read_text(encoding="utf-8"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"not ready ({process.poll()}): {out.read_text()[-2000:]}{err.read_text()[-3000:]}")
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=60)
        time.sleep(0.5)
        left = _session_members(process.pid)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in _session_members(process.pid):
            os.kill(pid, signal.SIGKILL)
    assert not list(scratch.iterdir()), f"left in the temporary folder: {list(scratch.iterdir())}"
    return code, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"), left


def test_ctrl_c_on_sandbox_up(tmp_path: Path) -> None:
    ports = ["--national-port", "0", "--indonesian-port", "0", "--cursor-port", "0", "--form-port", "0"]
    command = [*MPPHUB, "sandbox", "up", "--state", str(tmp_path / "state"), *ports, "--citizens-rate", "0.5"]
    code, out, err, left = _ctrl_c_once_ready(command, "serving; Ctrl-C stops", tmp_path)
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert code == 130, err[-3000:]
    assert out.rstrip().endswith("stopped")
    assert not left, f"still running after Ctrl-C: {left}"
    # the sql packages' scratch databases are dropped (those of the servers this machine has)
    for dialect, where in re.findall(r"SQL \((\w+) *\) +(\S+)", out):
        name = where.rsplit("/", 1)[1]
        engine = create_engine(ADMIN_URLS[dialect])
        try:
            with engine.connect() as conn:
                if dialect == "postgresql":
                    found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).all()
                else:
                    found = conn.execute(text("SHOW DATABASES LIKE :n"), {"n": name}).all()
        finally:
            engine.dispose()
        assert not found, f"{dialect} database {name} left behind"


def test_ctrl_c_on_the_serving_demo(tmp_path: Path) -> None:
    command = [*MPPHUB, "demo", "--citizens", "4", "--cycles", "1", "--serve", "--port", "0"]
    code, out, err, left = _ctrl_c_once_ready(command, "press Ctrl-C to stop", tmp_path)
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert code == 130, err[-3000:]
    assert out.rstrip().endswith("stopped")
    assert not left, f"still running after Ctrl-C: {left}"
