"""Drill 2 — database faults on the ledger.

- PostgreSQL: an admin connection kills the ledger's connections (``pg_terminate_backend``) again and again
  while sync cycles run; the cycles that break say so, the next ones work (``pool_pre_ping``), and nothing
  is lost or duplicated against the sandboxes' truth.
- PostgreSQL read-only (``default_transaction_read_only``) and SQLite on a full disk (a tiny tmpfs):
  ``mpphub sync`` exits 1 with one clear line and no traceback, and leaves no partial state (cursors not
  advanced, nothing marked delivered that the local system does not have); once fixed, the next sync
  delivers everything exactly once.
"""

from __future__ import annotations

import logging
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from connectors.sync.backoff import RetryPolicy
from tests.conftest import REPO
from tests.connectors.conftest import PG_ADMIN_URL
from tests.drills.support import report, sized
from tests.drills.world import (
    World,
    build_world,
    delivery_problems,
    event_problems,
    held,
    leaks,
    ledger_snapshot,
    sync_environment,
)

MPPHUB = [sys.executable, "-m", "hub.cli"]


def _apply(world: World, per_service: int, seed: int) -> None:
    for index, service_id in enumerate(world.services):
        world.national.citizens(per_service, seed=seed * 1000 + index, services=[service_id])


def _tolerant_cycle(world: World) -> int:
    """One cycle; a service whose run breaks on the ledger counts as a failure and the cycle goes on
    (as the next ``mpphub sync --watch`` cycle or the next Airflow task try would)."""
    failures = 0
    for service_id in world.services:
        try:
            world.engine.run_service(service_id)
        except SQLAlchemyError:
            failures += 1
    return failures


class Killer:
    """Terminates every connection to one database from an admin connection, at seeded random intervals."""

    def __init__(self, database: str, seed: int = 7) -> None:
        self.database = database
        self.kills = 0
        self._stop = threading.Event()
        self._rng = random.Random(seed)  # noqa: S311 - reproducible timing, not cryptography
        self._admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self._admin.connect() as conn:
            while not self._stop.wait(self._rng.uniform(0.02, 0.15)):
                killed = conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()) AS t"
                    ),
                    {"db": self.database},
                ).scalar_one()
                self.kills += int(killed)

    def __enter__(self) -> Killer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._admin.dispose()


def test_killed_connections_mid_sync_lose_and_duplicate_nothing(
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    world = build_world(pg_url, national_server, local_rest_indonesian, local_rest_cursor, limit=sized(6, None))
    world.cycle()
    world.unthrottle()
    database = make_url(pg_url).database
    assert database
    rounds = sized(3, 10)
    failures = 0
    with Killer(database) as killer:
        for round_ in range(rounds):
            _apply(world, sized(2, 5), seed=round_)
            for server in world.local.values():
                server.step(1)
            failures += _tolerant_cycle(world)
    report("db-kill", f"{rounds} rounds under fire: {killer.kills} connections killed, {failures} service runs broke")
    assert killer.kills > 0, "the drill must actually kill connections"
    # the next cycles work: stale pooled connections are replaced (pool_pre_ping). Time passes beyond any
    # backoff a broken run left (an event the national layer answered out_of_sequence is retried later)
    for _ in range(4):
        world.let_pass(RetryPolicy().cap_seconds)
        world.cycle()
    problems = {**delivery_problems(world), **event_problems(world, resends_allowed=True)}
    assert held(problems), (problems, world.ledger.counts())
    resent = sum(1 for e in world.national.truth()["events"] if e["received_count"] > 1)
    letters = world.ledger.dead_letters()
    assert letters == [], [(d["kind"], d["flow"], d["reason"]) for d in letters]
    counts = world.ledger.counts()
    report(
        "db-kill",
        f"afterwards: {counts.get('applications.acknowledged', 0)} applications and "
        f"{counts.get('events.pushed', 0) + counts.get('events.duplicate', 0)} events, each applied exactly once, "
        f"in order ({resent} pushed again after a kill hid the answer, answered 'duplicate')",
    )
    assert leaks(world, caplog.text) == [], "no NIK, phone number or secret in logs, errors or the ledger"
    world.close()


def _sync(world: World, ledger_url: str, service: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MPPHUB, "sync", "--once", "--service", service],
        cwd=REPO,
        env=sync_environment(world, ledger_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _assert_one_clear_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mpphub sync: ") and words in lines[0], result.stderr


def _nothing_marked_that_did_not_happen(world: World) -> None:
    """Every application the ledger says was delivered exists exactly once in its local system."""
    created: dict[str, int] = {}
    for server in world.local.values():
        created.update(server.truth()["submissions"]["created_per_national_id"])
    with world.ledger.engine.connect() as conn:
        marked = conn.execute(
            text("SELECT national_id FROM application WHERE delivery IN ('delivered', 'acknowledged')")
        ).scalars()
        wrong = [n for n in marked if created.get(n) != 1]
    assert wrong == [], "marked delivered but not created exactly once locally"


def test_read_only_database_gives_a_clear_error_and_no_partial_state(
    pg_url: str, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> None:
    world = build_world(pg_url, national_server, local_rest_indonesian, local_rest_cursor, limit=2)
    world.cycle()
    world.unthrottle()
    _apply(world, 3, seed=50)
    before = ledger_snapshot(world.ledger)
    created_before = sum(len(s.truth()["submissions"]["created_per_national_id"]) for s in world.local.values())
    database = make_url(pg_url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'))
        world.ledger.engine.dispose()  # new sessions take the setting
        result = _sync(world, pg_url, world.services[0])
        _assert_one_clear_line(result, "read-only")
        report("db-readonly", f"mpphub sync exit {result.returncode}: {result.stderr.strip()}")
        assert ledger_snapshot(world.ledger) == before, "a failed run changed the ledger"
        created_after = sum(len(s.truth()["submissions"]["created_per_national_id"]) for s in world.local.values())
        assert created_after == created_before, "something was delivered that the ledger did not record"
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" RESET default_transaction_read_only'))
        world.ledger.engine.dispose()
    finally:
        admin.dispose()
    world.cycle(rounds=2)
    problems = delivery_problems(world)
    assert held(problems), problems
    report("db-readonly", "writable again: the next cycle delivered everything exactly once")
    world.close()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs (needs root, as on CI's machines); skipped with the reason otherwise."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Fill the disk to the last byte; returns the filler file."""
    filler = disk / "filler"
    try:
        with filler.open("wb", buffering=0) as out:
            while True:
                out.write(b"\0" * 4096)
    except OSError:
        pass  # no space left: that is the point
    return filler


def test_full_disk_gives_a_clear_error_and_no_partial_state(
    tiny_disk: Path, national_server: Any, local_rest_indonesian: Any, local_rest_cursor: Any
) -> None:
    ledger_url = f"sqlite:///{tiny_disk / 'ledger.db'}"
    world = build_world(ledger_url, national_server, local_rest_indonesian, local_rest_cursor, limit=2)
    world.cycle()
    world.unthrottle()
    _apply(world, 10, seed=60)
    cursors = ledger_snapshot(world.ledger)["sync_cursor"]
    filler = _fill(tiny_disk)
    result = _sync(world, ledger_url, world.services[0])
    _assert_one_clear_line(result, "disk is full")
    report("db-full-disk", f"mpphub sync exit {result.returncode}: {result.stderr.strip()}")
    assert ledger_snapshot(world.ledger)["sync_cursor"] == cursors, "a cursor moved without what it read"
    _nothing_marked_that_did_not_happen(world)
    filler.unlink()
    world.cycle(rounds=2)
    problems = delivery_problems(world)
    assert held(problems), problems
    report("db-full-disk", "space again: the next cycle delivered everything exactly once")
    world.close()
