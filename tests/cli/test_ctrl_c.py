"""Ctrl-C on `mpphub demo` and `mpphub sandbox up`, as a terminal sends it: SIGINT to the whole foreground
process group (the command and every server process it started). Each ends with one "stopped" line, exit
code 130 and no traceback, and leaves nothing behind: no process of its session, no temporary folder, no
scratch database — also when the Ctrl-C comes during start-up, or a second one while it is stopping."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import create_engine, event, text

import sandbox.world
from sandbox.local.catalogue import load_packages
from sandbox.world import ADMIN_URLS, start_sql_systems
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
    return _ctrl_c_at(command, [ready], tmp_path)


def _ctrl_c_at(command: list[str], markers: list[str], tmp_path: Path) -> tuple[int, str, str, list[int]]:
    """``_ctrl_c_once_ready`` with a Ctrl-C (SIGINT to the group) each time the next of ``markers`` shows
    in stdout (a second one: a Ctrl-C while it is stopping)."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONUNBUFFERED": "1"}
    with out.open("w", encoding="utf-8") as stdout, err.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
    try:
        for marker in markers:
            deadline = time.monotonic() + 240
            while marker not in out.read_text(encoding="utf-8"):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"no {marker!r} ({process.poll()}): {out.read_text()[-2000:]}{err.read_text()[-3000:]}")
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


def _database_exists(dialect: str, name: str) -> bool:
    engine = create_engine(ADMIN_URLS[dialect])
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).all()
            else:
                found = conn.execute(text("SHOW DATABASES LIKE :n"), {"n": name}).all()
    finally:
        engine.dispose()
    return bool(found)


def _drop_database(dialect: str, name: str) -> None:
    """Clean up after a failing run (the old code left its scratch databases behind)."""
    engine = create_engine(ADMIN_URLS[dialect], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            force = " WITH (FORCE)" if dialect == "postgresql" else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
    finally:
        engine.dispose()


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
        assert not _database_exists(dialect, name), f"{dialect} database {name} left behind"


def test_ctrl_c_on_the_serving_demo(tmp_path: Path) -> None:
    command = [*MPPHUB, "demo", "--citizens", "4", "--cycles", "1", "--serve", "--port", "0"]
    code, out, err, left = _ctrl_c_once_ready(command, "press Ctrl-C to stop", tmp_path)
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert code == 130, err[-3000:]
    assert out.rstrip().endswith("stopped")
    assert not left, f"still running after Ctrl-C: {left}"


# `mpphub` with the SQL side slowed down where a Ctrl-C during start-up hurts most: once a scratch database
# exists and has its tables, start-up pauses (printing which database); and each SQL system pauses before
# it is dropped (printing "dropping"), for a second Ctrl-C to land in the teardown
SLOW_SQL = """
import sys, time
from sandbox.local.sql_tables import SqlLocalSystem
create_schema, drop = SqlLocalSystem.create_schema, SqlLocalSystem.drop
def slow_create_schema(self):
    create_schema(self)
    dialect = "postgresql" if self.engine.dialect.name == "postgresql" else "mariadb"
    print("scratch database", dialect, self.engine.url.database, flush=True)
    time.sleep(120)
def slow_drop(self):
    print("dropping", self.engine.url.database, flush=True)
    time.sleep(3)
    drop(self)
SqlLocalSystem.create_schema, SqlLocalSystem.drop = slow_create_schema, slow_drop
from hub.cli import main
sys.exit(main(sys.argv[1:]))
"""
ANY_PORTS = ["--national-port", "0", "--indonesian-port", "0", "--cursor-port", "0", "--form-port", "0"]
STARTING = {
    "sandbox up": ["sandbox", "up", *ANY_PORTS, "--citizens-rate", "0.5", "--officer-interval", "0.5"],
    "demo": ["demo", "--citizens", "4", "--cycles", "1", "--no-serve"],
}


@pytest.mark.parametrize("second_ctrl_c", [False, True], ids=["once", "again while stopping"])
@pytest.mark.parametrize("command", list(STARTING))
def test_ctrl_c_while_starting_drops_what_was_created(command: str, second_ctrl_c: bool, tmp_path: Path) -> None:
    """A Ctrl-C while the world is being built (here: once the first scratch database exists) stops what
    was started and drops what was created, says "stopped", exits 130, no traceback; a second Ctrl-C
    while it is stopping is ignored (the teardown finishes)."""
    args = [*STARTING[command], *(["--state", str(tmp_path / "state")] if command == "sandbox up" else [])]
    markers = ["scratch database", *(["dropping"] if second_ctrl_c else [])]
    try:
        code, out, err, left = _ctrl_c_at([sys.executable, "-c", SLOW_SQL, *args], markers, tmp_path)
    finally:
        printed = (tmp_path / "stdout.txt").read_text(encoding="utf-8")
        created = re.findall(r"^scratch database (\w+) (\w+)$", printed, re.MULTILINE)
        kept = [(dialect, name) for dialect, name in created if _database_exists(dialect, name)]
        for dialect, name in kept:
            _drop_database(dialect, name)
    assert created, printed
    assert not kept, f"left behind: {kept}"
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert code == 130, err[-3000:]
    assert out.rstrip().endswith("stopped")
    assert not left, f"still running after Ctrl-C: {left}"


def test_ctrl_c_during_create_database_drops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C that lands while ``CREATE DATABASE`` runs, after the server made it: dropped all the same."""
    created: list[str] = []

    def admin_interrupted_once_created(url: str, **options: Any) -> sqlalchemy.Engine:
        engine = create_engine(url, **options)

        @event.listens_for(engine, "after_cursor_execute")
        def ctrl_c(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.startswith("CREATE DATABASE"):
                created.append(statement.split()[-1])
                raise KeyboardInterrupt

        return engine

    monkeypatch.setattr(sandbox.world, "create_engine", admin_interrupted_once_created)
    packages = load_packages(REPO / "registry" / "packages")
    try:
        with pytest.raises(KeyboardInterrupt), ExitStack() as stack:
            start_sql_systems(stack, packages, seed=0, say=print)
    finally:
        kept = [name for name in created if _database_exists("postgresql", name)]
        for name in kept:
            _drop_database("postgresql", name)
    assert created, "PostgreSQL (127.0.0.1:5432) is needed for this test"
    assert not kept, f"left behind: {kept}"


# `mpphub` with the import of the command's module slowed down: the first tenth of a second of every
# command, before its own Ctrl-C handling could start (a Ctrl-C there used to print a traceback)
SLOW_IMPORT = """
import sys, time
import hub.cli
command_module = hub.cli._command_module
def slow_command_module(name):
    print("importing", name, flush=True)
    time.sleep(120)
    return command_module(name)
hub.cli._command_module = slow_command_module
sys.exit(hub.cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", [["status"], ["sync", "--help"]], ids=["status", "sync --help"])
def test_ctrl_c_while_the_command_is_imported(command: list[str], tmp_path: Path) -> None:
    code, out, err, left = _ctrl_c_at([sys.executable, "-c", SLOW_IMPORT, *command], ["importing"], tmp_path)
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert code == 130, err[-3000:]
    assert err.strip().splitlines() == ["interrupted"], err[-3000:]
    assert not left


# the console script (`hub.entry`) with the import of `hub.cli` itself slowed down: a Ctrl-C in the
# interpreter's hand-over, before any of the CLI's code exists
SLOW_CLI_IMPORT = """
import sys, time
class SlowCli:
    def find_spec(self, name, path=None, target=None):
        if name == "hub.cli":
            print("importing hub.cli", flush=True)
            time.sleep(120)
        return None
sys.meta_path.insert(0, SlowCli())
from hub.entry import main
sys.exit(main())
"""


def test_ctrl_c_while_the_cli_itself_is_imported(tmp_path: Path) -> None:
    command = [sys.executable, "-c", SLOW_CLI_IMPORT, "status"]
    code, out, err, left = _ctrl_c_at(command, ["importing hub.cli"], tmp_path)
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert code == 130, err[-3000:]
    assert err.strip().splitlines() == ["interrupted"], err[-3000:]
    assert not left


def test_the_console_script_is_the_guarded_entry() -> None:
    """`mpphub` as installed runs ``hub.entry:main`` (the guard above), not ``hub.cli:main``."""
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["mpphub"] == "hub.entry:main"
