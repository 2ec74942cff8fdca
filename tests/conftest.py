"""Shared fixtures: a known-good package to mutate, and the CLI run in-process."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.clock import Clock
from hub.cli import main

pytest_plugins = ["tests.sandbox.fixtures_national", "tests.sandbox.fixtures_local"]

# The hub refuses loopback endpoints unless told otherwise (connectors/url_policy.py); the suite's local
# systems, traps and databases all live on loopback, so it opts in explicitly. Set in the process
# environment (not a fixture) so that every `mpphub` subprocess a test starts inherits it; tests of the
# secure default clear it with monkeypatch (tests/connectors/test_secure_default.py).
os.environ["MPPHUB_ALLOW_LOOPBACK"] = "1"

REPO = Path(__file__).resolve().parent.parent
GOOD_PACKAGE = REPO / "registry" / "packages" / "35.76" / "akta-kelahiran.json"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def isolated_ledger(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """Commands that open the ledger from MPPHUB_LEDGER_URL (publish and replay audit, status, tokens)
    write to a fresh per-test SQLite file, never to the working tree's .mpphub."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}"
    monkeypatch.setenv("MPPHUB_LEDGER_URL", url)
    return url


@pytest.fixture
def good_doc() -> dict[str, Any]:
    """A fresh deep copy of a valid sample package."""
    return copy.deepcopy(json.loads(GOOD_PACKAGE.read_text(encoding="utf-8")))


@pytest.fixture
def write_package(tmp_path: Path) -> Callable[..., Path]:
    """Write a document where a regional team would: <tmp>/packages/<region>/<slug>.json."""

    def write(doc: dict[str, Any], name: str | None = None, folder: str | None = None) -> Path:
        raw_id = doc.get("id")
        package_id = raw_id if isinstance(raw_id, str) else "35.76/x"
        region, _, slug = package_id.partition("/")
        path = tmp_path / "packages" / (folder or region) / (name or f"{slug}.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``mpphub`` in-process and capture its exit code and output (``clock=``: the time its ledger and
    sync keep, a test clock the test advances between commands; left out, the system's)."""

    def run(*args: str | Path, clock: Clock | None = None) -> CliResult:
        try:
            code = main([str(a) for a in args], clock=clock)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
