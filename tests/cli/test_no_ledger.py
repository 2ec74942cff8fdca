"""`mpphub status` and `mpphub alerts` without a ledger to report from: one line on stderr and exit 2, not
an empty, healthy-looking report (exit 0) nor a traceback; and a missing SQLite ledger is not created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.ledger.store import Ledger
from tests.conftest import REPO

COMMANDS = pytest.mark.parametrize("command", ["status", "alerts"])
# port 1 on loopback: nothing listens there, so the connection is refused at once
UNREACHABLE = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/ledger"


def _mpphub(cwd: Path, *args: str, ledger_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MPPHUB_LEDGER_URL", "MPPHUB_STATE_DIR")}
    env["MPPHUB_REGISTRY"] = str(REPO / "registry")
    if ledger_url is not None:
        env["MPPHUB_LEDGER_URL"] = ledger_url
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=60,
    )


@COMMANDS
def test_a_sqlite_ledger_that_does_not_exist(command: str, tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.db"
    done = _mpphub(tmp_path, command, ledger_url=f"sqlite:///{path}")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"mpphub {command}: no ledger at sqlite:///{path}: run `mpphub sync` first or set MPPHUB_LEDGER_URL\n"
    )
    assert not path.exists() and not path.parent.exists()


@COMMANDS
def test_the_default_ledger_when_nothing_was_synced(command: str, tmp_path: Path) -> None:
    done = _mpphub(tmp_path, command, ledger_url=None)
    assert done.returncode == 2
    assert done.stderr == (
        f"mpphub {command}: no ledger at sqlite:///.mpphub/ledger.db: run `mpphub sync` first or set MPPHUB_LEDGER_URL\n"
    )
    assert list(tmp_path.iterdir()) == []  # no .mpphub/ left behind


@COMMANDS
def test_a_ledger_database_that_cannot_be_reached(command: str, tmp_path: Path) -> None:
    done = _mpphub(tmp_path, command, ledger_url=UNREACHABLE)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(
        f"mpphub {command}: cannot open the ledger at postgresql+psycopg://postgres:***@127.0.0.1:1/ledger: "
        "the ledger database is not reachable"
    )
    assert "s3cret" not in done.stderr


@COMMANDS
def test_an_existing_ledger_is_still_reported(command: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    Ledger.open(url).close()  # created (and migrated) as `mpphub sync` does, nothing synced yet
    done = _mpphub(tmp_path, command, ledger_url=url)
    # no national layer runs here: health says it cannot add the national backlog (never a silent 0)
    notes = [line for line in done.stderr.splitlines() if not line.startswith("national backlog unknown: ")]
    assert (done.returncode, notes) == (0, [])
    expected = "regions: 0 live" if command == "status" else "0 region(s) alerting"
    assert expected in done.stdout
