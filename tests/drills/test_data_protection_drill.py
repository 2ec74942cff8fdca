"""Drill 5 — data protection: no unmasked NIK or phone number in any log line, CLI output, error message
or ledger row, and no resolved secret in the logs, after the demo (every logger at DEBUG) and after a sync
under faults that produces error messages, retries and dead letters.

The scanner (``tests/drills/pii_scan.py``) is proven able to fail first: it must catch planted values.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors.sync.backoff import RetryPolicy
from tests.conftest import REPO
from tests.drills.pii_scan import Known, PiiScanner, harvest, mask
from tests.drills.support import report, sized
from tests.drills.world import build_world, sqlite_url

PLANTED_NIK = "3576014101900001"
PLANTED_PHONE = "081234567890"


def test_the_scanner_catches_planted_values(tmp_path: Path) -> None:
    known = harvest({"form": {"nik": PLANTED_NIK, "no_hp": PLANTED_PHONE, "nama": "Siti"}})
    known.secrets.add("sandbox-local-token")
    assert known.niks == {PLANTED_NIK} and known.phones == {PLANTED_PHONE}
    scanner = PiiScanner(known)
    log = "\n".join(
        [
            "INFO mpphub.sync 35.76/akta-kelahiran outbound ok",
            f"WARNING submit refused for nik={PLANTED_NIK}",  # planted
            "INFO masked 3576************01 is fine",
            "DEBUG phone +6281234567890 in a body",  # the same phone, international spelling
            "DEBUG Authorization: Bearer sandbox-local-token",
            "INFO a longer number 93576014101900001 is not this NIK",
        ]
    )
    leaks = scanner.scan_text("planted.log", log)
    assert [(leak.where, leak.kind) for leak in leaks] == [
        ("line 2", "nik"),
        ("line 4", "phone"),
        ("line 5", "secret"),
    ]
    assert all(PLANTED_NIK not in str(leak) for leak in leaks), "the report itself masks what it found"
    # a ledger row: every table, every column
    engine = create_engine(f"sqlite:///{tmp_path / 'l.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE dead_letter (id INTEGER, reason TEXT, record JSON)"))
        conn.execute(
            text("INSERT INTO dead_letter VALUES (1, 'HTTP 422', :record)"),
            {"record": json.dumps({"form": {"nik": PLANTED_NIK}})},
        )
    assert [str(leak) for leak in scanner.scan_database(engine)] == [
        f"ledger.dead_letter row 0 column record: nik {mask(PLANTED_NIK)}"
    ]
    engine.dispose()


def _scan_demo_output(out: Path, stdout: str, stderr: str) -> PiiScanner:
    stored = json.loads((out / "known.json").read_text(encoding="utf-8"))
    known = Known(set(stored["niks"]), set(stored["phones"]), set(stored["secrets"]))
    assert known.niks and known.phones, "the probe harvested the citizens' NIKs and phone numbers"
    scanner = PiiScanner(known)
    scanner.scan_text("demo stdout", stdout)
    scanner.scan_text("demo stderr", stderr)
    scanner.scan_text("demo DEBUG log", (out / "debug.log").read_text(encoding="utf-8", errors="replace"))
    for table, rows in json.loads((out / "ledger.json").read_text(encoding="utf-8")).items():
        scanner.scan_rows(f"ledger.{table}", rows)
    return scanner


@pytest.mark.slow
def test_the_demo_leaks_nothing_even_at_debug(tmp_path: Path) -> None:
    out = tmp_path / "probe"
    citizens = sized(16, 60)
    done = subprocess.run(
        [sys.executable, "-m", "tests.drills.demo_probe", str(out), "--citizens", str(citizens), "--cycles", "3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    scanner = _scan_demo_output(out, done.stdout, done.stderr)
    log_lines = len((out / "debug.log").read_text(encoding="utf-8", errors="replace").splitlines())
    known = scanner.known
    report(
        "pii",
        f"demo ({citizens} citizens): scanned {log_lines} DEBUG log lines, CLI output and every ledger row "
        f"for {len(known.niks)} NIK/KK numbers, {len(known.phones)} phone numbers, {len(known.secrets)} secrets",
    )
    assert scanner.leaks == [], "\n".join(str(leak) for leak in scanner.leaks[:20])
    report("pii", "demo: no unmasked NIK, phone number or secret anywhere")


def test_a_sync_under_faults_leaks_nothing(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = build_world(
        sqlite_url(tmp_path),
        national_server,
        local_rest_indonesian,
        local_rest_cursor,
        policy=RetryPolicy(
            max_attempts=2, base_seconds=0.0, cap_seconds=0.0, give_up_after_seconds=0.0
        ),  # dead letters come fast
        limit=sized(6, None),
    )
    world.cycle()
    world.unthrottle()
    world.set_timeouts(0.5)
    for index, service_id in enumerate(world.services):
        world.national.citizens(sized(3, 10), seed=700 + index, services=[service_id])
    for server in world.local.values():
        server.faults(seed=5, error_rate=0.3, malformed_rate=0.1, hang_rate=0.05, hang_seconds=1.0)
    world.cycle(rounds=3)
    for server in world.local.values():
        server.faults()
        server.step(2)
    world.cycle(rounds=2)
    letters = world.ledger.dead_letters()
    known = Known(secrets={v for server in world.local.values() for v in server.secrets.values() if v != "sandbox"})
    known.secrets.add(world.national.token)
    for server in world.local.values():
        known.update(harvest(server.truth()))
    scanner = PiiScanner(known)
    scanner.scan_text("captured logs", caplog.text)
    scanner.scan_text("run errors and dead-letter reasons", "\n".join(str(r.errors) for r in world.results))
    delivered = {"acknowledged", "delivered"}
    scanner.scan_database(world.ledger.engine)
    # an undelivered application keeps its payload until delivery (or a replay after a fix): by design
    leaks = [
        leak
        for leak in scanner.leaks
        if not (leak.source == "ledger.application" and leak.where.endswith("column payload"))
        and not (leak.source == "ledger.dead_letter" and leak.where.endswith("column record"))
    ]
    with world.ledger.engine.connect() as conn:
        holding = conn.execute(
            text("SELECT delivery, count(*) FROM application WHERE payload IS NOT NULL GROUP BY delivery")
        ).all()
    assert all(state not in delivered for state, _ in holding), "a delivered application still holds its payload"
    report(
        "pii",
        f"sync under faults: {len(caplog.records)} log records, {len(letters)} dead letters, every ledger row; "
        f"payloads kept only while undelivered: {dict(holding)}",
    )
    assert leaks == [], "\n".join(str(leak) for leak in leaks[:20])
    report("pii", "sync under faults: no unmasked NIK, phone number or secret in logs, errors or ledger columns")
    world.close()
