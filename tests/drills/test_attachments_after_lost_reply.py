"""Drill 12 — attachments after a lost reply: the sync is killed between an application's create and its
file uploads (``attachments.mode: multipart``: the files go one POST each after the create), and the next
run uploads exactly the files that are missing.

Each round: citizens apply to two lookup-by-reference services whose files are uploaded after the create;
a real ``mpphub sync --once`` process delivers them against a local system that takes 1.2 s for every
request (the sandbox's ``latency_ms`` knob, applied before the request is processed), and is SIGKILLed
- round "create": the moment the local system holds the application and none of its files (the create's
  reply is on its way back, the first upload is not processed yet), or
- round "partial": 0.4 s after the first file arrived (recorded by then; the second upload is still in the
  local system's 1.2 s delay).
The kill is real: no ``finally``, no lease release. Then clean runs settle everything, and the local
system's own truth must show every application once, with exactly its files, each once, sha256 equal to
the national layer's. Without the per-file record the first round leaves applications without files (the
look-up finds the application and marks it delivered); resending every file would double them.

The remaining window (not drilled: it cannot be told from a lost reply): a kill between an upload's success
and its record sends that one file again. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors.sync.packages import PackageSource
from tests.conftest import REPO
from tests.drills.support import report
from tests.drills.test_crash_drill import _rest_only_registry
from tests.drills.world import ledger_url, rest_styles

MPPHUB = [sys.executable, "-m", "hub.cli"]
LATENCY_MS = 1200
CITIZENS_PER_ROUND = 2  # per service

pytestmark = pytest.mark.slow


def _multipart_services(packages: PackageSource) -> list[str]:
    """Two lookup-by-reference services (style b: the ``local_rest_cursor`` system) whose files are uploaded
    after the create, one of each of its families (``/applications/../documents``, ``/registrations/../files``)."""
    chosen: dict[str, str] = {}
    for service_id, style in sorted(rest_styles(packages).items()):
        attachments = packages.latest(service_id)["local_system"]["operations"]["submit"].get("attachments")
        if style == "b" and attachments and attachments["mode"] == "multipart":
            chosen.setdefault(attachments["path"].split("/")[1], service_id)
    assert len(chosen) == 2, chosen
    return sorted(chosen.values())


def _national_files(national: Any, national_ids: set[str]) -> dict[str, Counter[str]]:
    """national id -> the sha256 of its files, as the national layer holds them (its own database)."""
    files: dict[str, Counter[str]] = {nid: Counter() for nid in national_ids}
    with sqlite3.connect(national.db_path) as conn:
        for application_id, sha256 in conn.execute("SELECT application_id, sha256 FROM attachments"):
            if application_id in files:
                files[application_id][sha256] += 1
    return files


def _local(server: Any, services: list[str]) -> dict[str, dict[str, Any]]:
    """national id -> the local system's record of it (the local truth), for these services."""
    return {
        a["national_id"]: a
        for a in server.truth()["applications"]
        if a["national_id"] and not a["walk_in"] and a["package_id"] in services
    }


def _sync(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*MPPHUB, "sync", "--once", "--format", "json"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_when(process: subprocess.Popen[bytes], ready: Any, timeout: float = 90.0) -> str:
    """SIGKILL ``process`` as soon as ``ready()`` returns a description (polled every 30 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ready()
        if found:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            return str(found)
        if process.poll() is not None:
            raise AssertionError(f"the sync ended (exit {process.returncode}) before the moment to kill it")
        time.sleep(0.03)
    process.kill()
    raise AssertionError("the moment to kill the sync never came")


def _recorded_uploads(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM attachment_upload")).scalar() or 0)
    finally:
        engine.dispose()


def _settle(env: dict[str, str]) -> None:
    """Clean cycles until one delivers nothing more."""
    for _ in range(4):
        done = subprocess.run(
            [*MPPHUB, "sync", "--once", "--format", "json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        regions = json.loads(done.stdout.strip().splitlines()[-1])["regions"]
        if sum(c.get("deliver.delivered", 0) + c.get("deliver.acknowledged", 0) for c in regions.values()) == 0:
            return
    raise AssertionError("the sync did not settle after four clean cycles")


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_a_sync_killed_between_create_and_uploads_loses_and_doubles_no_file(
    request: pytest.FixtureRequest,
    ledger_kind: str,
    tmp_path: Path,
    national_server: Any,
    local_rest_cursor: Any,
) -> None:
    packages = PackageSource(REPO / "registry")
    services = _multipart_services(packages)
    url = ledger_url(ledger_kind, tmp_path, request)
    overrides = {packages.latest(s)["local_system"]["base_url"]: local_rest_cursor.url for s in services}
    env = {
        **os.environ,
        **local_rest_cursor.secrets,
        "MPPHUB_LEDGER_URL": url,
        "MPPHUB_REGISTRY": str(_rest_only_registry(tmp_path / "registry", services)),
        "MPPHUB_NATIONAL_URL": national_server.url,
        "MPPHUB_NATIONAL_TOKEN": national_server.token,
        "MPPHUB_BASE_URL_OVERRIDES": json.dumps(overrides),
        "MPPHUB_WORKER": "drill-worker",  # restarted under its name: it takes its own leases back at once
    }
    _settle(env)  # catalogue published, feeds started
    report("attachments", f"{ledger_kind}: {', '.join(services)} (lookup by reference, files after the create)")

    seen: set[str] = set()
    kills: list[str] = []
    for round_, moment in enumerate(["create", "partial", "create"]):
        national_server.citizens(CITIZENS_PER_ROUND * len(services), seed=700 + round_, services=services)
        local_rest_cursor.faults(latency_ms=LATENCY_MS)
        before = set(_local(local_rest_cursor, services))

        def ready(moment: str = moment, before: set[str] = before) -> str | None:
            for national_id, app in _local(local_rest_cursor, services).items():
                if national_id in before:
                    continue
                if moment == "create" and not app["attachments"]:
                    return f"{national_id} created, 0 files"
                if moment == "partial" and len(app["attachments"]) == 1:
                    time.sleep(0.4)  # its upload recorded by now; the next one is still in the 1.2 s delay
                    return f"{national_id} created, 1 file"
            return None

        kills.append(_kill_when(_sync(env), ready))
        local_rest_cursor.faults()
        caught = {
            nid: len(app["attachments"])
            for nid, app in _local(local_rest_cursor, services).items()
            if nid not in before
        }
        report(
            "attachments",
            f"round {round_ + 1}: SIGKILL when {kills[-1]}; the local system held {len(caught)} new application(s) "
            f"with {sum(caught.values())} file(s); {_recorded_uploads(url)} upload(s) recorded in the ledger",
        )
        seen |= set(caught)
        _settle(env)

    truth = national_server.truth()
    online = {a["id"] for a in truth["applications"] if a["service_id"] in services and a["origin"] != "walk_in"}
    local = _local(local_rest_cursor, services)
    created = Counter(local_rest_cursor.truth()["submissions"]["created_per_national_id"])
    national_files = _national_files(national_server, online)
    problems = {
        "not_created_once": sorted(nid for nid in online if created[nid] != 1),
        "unacknowledged": sorted(
            a["id"] for a in truth["applications"] if a["id"] in online and not a["acknowledgement"]
        ),
        "files_differ": sorted(
            f"{nid}: local {sorted(Counter(f['sha256'] for f in local[nid]['attachments']).values())} "
            f"national {sorted(national_files[nid].values())}"
            for nid in online
            if nid in local and Counter(f["sha256"] for f in local[nid]["attachments"]) != national_files[nid]
        ),
    }
    files = sum(sum(c.values()) for c in national_files.values())
    assert files > len(online), "the drill's applications have files (several each)"
    assert seen, "the kills caught applications between their create and their uploads"
    assert problems == {"not_created_once": [], "unacknowledged": [], "files_differ": []}, problems
    report(
        "attachments",
        f"{ledger_kind}: {len(kills)} kills; {len(online)} applications created once and acknowledged, "
        f"{files} files each uploaded once, sha256 equal to the national ones",
    )
