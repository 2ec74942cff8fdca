"""`mpphub validate DIR | head -1`: when the reader of stdout goes away early, the command still ends with
its own exit code (1 when problems were found, 0 when all were valid), with nothing on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GOOD_PACKAGE, REPO

# Linux pipes hold 64 KiB by default: the problem lines of this many broken files (~100 bytes each) do
# not fit, so the command is still writing when the test closes its end of the pipe
BROKEN_FILES = 1500
# both ways Python may write stdout: block-buffered (the default for a pipe: the last output is written at
# exit) and unbuffered (PYTHONUNBUFFERED=1, as in many CI and container setups: each print is a write)
BUFFERING = pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])


def _write(folder: Path, slug: str, doc: dict[str, Any]) -> None:
    doc = {**doc, "id": f"35.76/{slug}"}
    (folder / f"{slug}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _packages(tmp_path: Path, broken: int, valid: int) -> Path:
    """``broken`` copies of a sample package without its "service" (one problem each) and ``valid`` intact
    copies, each with an id of its own (no cross-file problem)."""
    good = json.loads(GOOD_PACKAGE.read_text(encoding="utf-8"))
    bad = {key: value for key, value in good.items() if key != "service"}
    folder = tmp_path / "packages" / "35.76"
    folder.mkdir(parents=True)
    for i in range(broken):
        _write(folder, f"rusak-{i:04d}", bad)
    for i in range(valid):
        _write(folder, f"salinan-{i:04d}", good)
    return folder


def _validate_to_a_closed_pipe(folder: Path, lines_read: int, unbuffered: bool) -> tuple[int, list[bytes], str]:
    """Run ``mpphub validate FOLDER`` with stdout a pipe the test closes after reading ``lines_read`` lines
    (0: closed before the command writes anything); the exit code, the lines read and stderr."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "validate", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(lines_read)]
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    return process.returncode, lines, err.decode("utf-8", "replace")


@BUFFERING
def test_problems_exit_1_when_the_reader_stops_after_one_line(tmp_path: Path, unbuffered: bool) -> None:
    folder = _packages(tmp_path, broken=BROKEN_FILES, valid=0)
    code, lines, err = _validate_to_a_closed_pipe(folder, lines_read=1, unbuffered=unbuffered)
    assert lines[0].endswith(b"::$: missing required field 'service'\n")
    assert (code, err) == (1, "")


@BUFFERING
def test_problems_exit_1_when_the_reader_is_gone_before_any_output(tmp_path: Path, unbuffered: bool) -> None:
    folder = _packages(tmp_path, broken=1, valid=50)
    code, _, err = _validate_to_a_closed_pipe(folder, lines_read=0, unbuffered=unbuffered)
    assert (code, err) == (1, "")


@BUFFERING
def test_all_valid_exits_0_when_the_reader_is_gone_before_any_output(tmp_path: Path, unbuffered: bool) -> None:
    folder = _packages(tmp_path, broken=0, valid=50)
    code, _, err = _validate_to_a_closed_pipe(folder, lines_read=0, unbuffered=unbuffered)
    assert (code, err) == (0, "")


def test_a_reader_that_stays_still_gets_everything(tmp_path: Path) -> None:
    folder = _packages(tmp_path, broken=2, valid=3)
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "2 problems in 2 of 5 files"
    assert done.stderr == ""


@BUFFERING
def test_sync_watch_ends_when_its_reader_goes_away(tmp_path: Path, unbuffered: bool) -> None:
    # `mpphub sync --watch | head -2` ran on, a cycle every interval, until killed: nobody read it any more
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    env.update(
        MPPHUB_LEDGER_URL=f"sqlite:///{tmp_path / 'ledger.db'}",
        MPPHUB_NATIONAL_URL="http://127.0.0.1:9",  # nothing listens: every cycle reports its failures
        MPPHUB_REGISTRY=str(REPO / "registry"),
    )
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "sync", "--watch", "--interval", "0.2", "--service", "35.76/akta-kelahiran"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env=env,
    )
    assert process.stdout is not None
    header = process.stdout.readline()
    assert header.startswith(b"region"), header
    process.stdout.close()
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("sync --watch kept running with nobody reading its output") from None
    # the cycle's own exit code: 1, the package's local secret is not set here (so nothing dials the
    # region's real host: the fatal error comes before any connection)
    assert code == 1
