"""Crash drill: the sync process is killed with SIGKILL at random moments, many times, while citizens
apply and officers work; it is restarted each time. Afterwards the sandboxes' truth must show every
application created in its local system exactly once and acknowledged, every status change applied by
the national layer exactly once (one event per application and sequence; a retransmission after a kill
carries the same event id and is deduplicated) and in sequence, every walk-in registered once, and the
national statuses equal to the local systems'.

The kills are real (``os.kill(pid, SIGKILL)`` on an ``mpphub sync --watch`` process): no ``finally``,
no flush, no lease release. A small latency on every server widens the windows between "the write left"
and "the ledger recorded its outcome", so a good share of kills land inside them (the drill prints how
many applications it found in the unknown-outcome ``sending`` state after a kill).

The PHP-style system (sandbox/local/rest_form.py: form posts, every answer HTTP 200 with a status envelope,
dd-mm-yyyy WIB times) takes part like the others; for its services the drill also checks that a refused
application (a +62 phone: "No. HP pemohon harus diawali 08") is dead-lettered with that reason, the
national histories equal the local ones in time order with UTC times within a second, and a wrong API key
(answered with HTTP 200) stops its services as fatal.

Runs on both ledgers (SQLite, PostgreSQL). Size: ``MPPHUB_DRILL_SCALE=full`` runs 100 kills (50 on
PostgreSQL) over more citizens; CI runs 20 (10).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text

from connectors.ledger.models import Application, StatusEvent
from connectors.ledger.store import Ledger
from connectors.sync.packages import PackageSource
from sandbox.national.citizens import CitizenSimulator
from tests.conftest import REPO
from tests.drills.world import rest_styles

FULL = os.environ.get("MPPHUB_DRILL_SCALE") == "full"
KILLS = 100 if FULL else 20
CITIZENS_PER_ROUND = 6 if FULL else 4
SEED = int(os.environ.get("MPPHUB_DRILL_SEED", "20261128"))
MPPHUB = [sys.executable, "-m", "hub.cli"]
FORM_REGION, REFUSED_SERVICE = "35.09", "35.09/izin-reklame"  # the PHP-style system's region

pytestmark = pytest.mark.slow


def _report(line: str) -> None:
    print(f"[crash drill] {line}", flush=True)


def _sending(ledger_url: str) -> set[str]:
    """Applications whose write left but whose outcome the ledger does not know."""
    engine = create_engine(ledger_url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("application"):
                return set()
            rows = conn.execute(text("SELECT national_id FROM application WHERE delivery = 'sending'"))
            return {str(row[0]) for row in rows}
    finally:
        engine.dispose()


def _settle(env: dict[str, str], services: list[str]) -> None:
    """Clean cycles after the storm, until a cycle finds nothing more to do."""
    for _ in range(6):
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
        moved = sum(
            c.get(k, 0)
            for c in regions.values()
            for k in ("pull.pulled", "deliver.delivered", "walk_in.registered", "status_pull.stored", "push.pushed")
        )
        if moved == 0:
            return
    raise AssertionError("the sync did not settle after six clean cycles")


@pytest.mark.parametrize("ledger_kind", ["sqlite", "postgresql"])
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    request: pytest.FixtureRequest,
    ledger_kind: str,
    tmp_path: Path,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
    local_rest_form: Any,
) -> None:
    kills_wanted = KILLS if ledger_kind == "sqlite" else KILLS // 2
    packages = PackageSource(REPO / "registry")
    styles = rest_styles(packages, form=True)
    services = sorted(styles)
    assert {s for s, st in styles.items() if st == "d"} >= {REFUSED_SERVICE}
    servers = {"a": local_rest_indonesian, "b": local_rest_cursor, "d": local_rest_form}
    overrides = {packages.latest(s)["local_system"]["base_url"]: servers[st].url for s, st in styles.items()}
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}" if ledger_kind == "sqlite" else request.getfixturevalue("pg_url")
    env = {
        **os.environ,
        **local_rest_indonesian.secrets,
        **local_rest_cursor.secrets,
        **local_rest_form.secrets,
        "MPPHUB_LEDGER_URL": ledger_url,
        "MPPHUB_REGISTRY": str(_rest_only_registry(tmp_path / "registry", services)),
        "MPPHUB_NATIONAL_URL": national_server.url,
        "MPPHUB_NATIONAL_TOKEN": national_server.token,
        "MPPHUB_BASE_URL_OVERRIDES": json.dumps(overrides),
        # a restarted worker keeps its name (a service manager restarting it does), so it takes back its
        # own leases at once instead of waiting for them to expire
        "MPPHUB_WORKER": "drill-worker",
    }
    rng = random.Random(SEED)  # noqa: S311 - a reproducible drill, not cryptography
    for server in (national_server, *servers.values()):
        server.faults(seed=SEED, latency_ms=15)

    refused, refused_phone = _refused_application(national_server.url)
    kills, caught_unknown, started = 0, set(), time.monotonic()
    _report(f"{kills_wanted} SIGKILLs over {len(services)} REST services, {ledger_kind} ledger, seed {SEED}")
    while kills < kills_wanted:
        national_server.citizens(CITIZENS_PER_ROUND, seed=rng.randrange(1 << 30), services=services)
        for server in servers.values():
            if rng.random() < 0.3:
                server.walk_ins(1)
            server.step(rng.randint(1, 4))
        process = subprocess.Popen(
            [*MPPHUB, "sync", "--watch", "--interval", "0.1", "--format", "json"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.4, 3.5))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        caught_unknown |= _sending(ledger_url)
    _report(
        f"{kills} kills in {time.monotonic() - started:.0f} s; "
        f"{len(caught_unknown)} applications were caught with their write's outcome unknown"
    )

    for server in (national_server, *servers.values()):
        server.faults(seed=SEED)  # the storm is over: no latency for the clean cycles
    for server in servers.values():
        server.step(3)
    _settle(env, services)
    _check_truth(national_server, servers, services, refused=refused)
    _check_form_style(
        env,
        ledger_url,
        national_server,
        local_rest_form,
        (refused, refused_phone),
        [s for s in services if styles[s] == "d"],
    )


def _rest_only_registry(target: Path, services: list[str]) -> Path:
    """A copy of the sample registry that publishes only the REST packages (whose local systems run in
    this process; the sql packages would need their databases)."""
    shutil.copytree(REPO / "registry", target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    index_path = target / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["packages"] = {sid: entry for sid, entry in index["packages"].items() if sid in services}
    index_path.write_text(json.dumps(index), encoding="utf-8")
    return target


def _refused_application(national_url: str) -> tuple[str, str]:
    """One application the PHP-style system refuses: a +62 phone, valid nationally, not locally."""
    simulator = CitizenSimulator.to_url(national_url, seed=SEED, services=[REFUSED_SERVICE])
    submission = simulator.application_for(simulator.packages[0])
    phone = str(submission.form["no_hp_pemohon"])
    assert phone.startswith("08"), "the simulator's citizens give 08 numbers"
    submission = dataclasses.replace(submission, form={**submission.form, "no_hp_pemohon": "+62" + phone[1:]})
    assert simulator.sink is not None
    simulator.sink.send(submission)
    return submission.id, str(submission.form["no_hp_pemohon"])


def _check_truth(national: Any, servers: dict[str, Any], services: list[str], refused: str | None = None) -> None:
    truth = national.truth()
    online = [
        a
        for a in truth["applications"]
        if a["origin"] != "walk_in" and a["service_id"] in services and a["id"] != refused
    ]
    created: Counter[str] = Counter()
    for server in servers.values():
        created.update(server.truth()["submissions"]["created_per_national_id"])
    missing = [a["id"] for a in online if created[a["id"]] == 0]
    duplicated = {nid: n for nid, n in created.items() if n > 1}
    unacknowledged = [a["id"] for a in online if a["acknowledgement"] is None]
    # A kill after an event's POST left and before the ledger recorded it makes the restarted worker send
    # it again with the same event id: the national layer applies it once and counts the retransmission.
    # Exactly once means: one applied event per (application, sequence), never two different events.
    retransmitted = sum(e["received_count"] - 1 for e in truth["events"])
    applied = Counter((e["application_id"], e["sequence"]) for e in truth["events"])
    events_twice = [key for key, n in applied.items() if n != 1]
    by_app: dict[str, list[int]] = {}
    for event in truth["events"]:
        by_app.setdefault(event["application_id"], []).append(event["sequence"])
    out_of_order = [app for app, seqs in by_app.items() if seqs != list(range(1, len(seqs) + 1))]
    walk_ins = [w for w in truth["walk_ins"] if w["service_id"] in services]
    registered = Counter((w["service_id"], w["local_reference"]) for w in walk_ins)
    walk_ins_twice = [key for key, n in registered.items() if n != 1]
    local_walk_ins = {
        a["reference"]
        for server in servers.values()
        for a in server.truth()["applications"]
        if a["walk_in"] and a["package_id"] in services
    }
    _report(
        f"truth: {len(online)} applications, {sum(created.values())} created locally, "
        f"{len(truth['events'])} events, {len(walk_ins)} walk-ins; "
        f"missing {len(missing)}, duplicated {len(duplicated)}, unacknowledged {len(unacknowledged)}, "
        f"events not once {len(events_twice)}, out of order {len(out_of_order)}, rejections {len(truth['rejections'])}; "
        f"{retransmitted} event retransmissions deduplicated by event id"
    )
    assert online and truth["events"], "the drill produced work"
    assert missing == []
    assert duplicated == {}
    assert unacknowledged == []
    assert events_twice == []
    assert out_of_order == []
    assert truth["rejections"] == []
    assert walk_ins_twice == []
    assert {w["local_reference"] for w in walk_ins} == local_walk_ins, "every counter application registered"
    # and the national layer ends where the officers' systems are
    local_status = {
        a["national_id"]: a["national_status"]
        for server in servers.values()
        for a in server.truth()["applications"]
        if a["national_id"]
    }
    differing = [a["id"] for a in online if a["status"] != local_status[a["id"]]]
    assert differing == []


def _check_form_style(
    env: dict[str, str], ledger_url: str, national: Any, local: Any, refusal: tuple[str, str], services: list[str]
) -> None:
    """The PHP-style services: the refusal dead-lettered with its reason, histories equal and in time order
    with UTC times within a second, and a wrong API key (inside an HTTP 200) fatal."""
    refused, refused_phone = refusal
    truth = national.truth()
    local_truth = local.truth()
    assert local_truth["submissions"]["created_per_national_id"].get(refused, 0) == 0
    ledger = Ledger.open(ledger_url)
    try:
        letters = [d for d in ledger.dead_letters(service_id=REFUSED_SERVICE) if d["ref"] == refused]
        # the region's one feed is routed by service code: no event is stored under another service
        with ledger.engine.connect() as conn:
            wrong_service = conn.execute(
                select(StatusEvent.event_id)
                .join(Application, Application.national_id == StatusEvent.national_id)
                .where(StatusEvent.service_id != Application.service_id)
            ).all()
    finally:
        ledger.close()
    assert wrong_service == [], f"{len(wrong_service)} status events under a wrong service"
    assert len(letters) == 1, letters
    reason = letters[0]["reason"]
    assert "No. HP pemohon harus diawali 08" in reason, reason
    assert refused_phone[3:] not in reason and not re.search(r"\d{9,}", reason), "no phone-like digits in the reason"

    # histories: the national events of every PHP-style application are its local changes (one event per
    # change of national status), in time order, at the same instant within the second the feed writes
    local_changes: dict[str, list[dict[str, Any]]] = {}
    for change in local_truth["status_changes"]:
        if change["national_id"]:
            local_changes.setdefault(change["national_id"], []).append(change)
    mine = [a["id"] for a in truth["applications"] if a["service_id"] in services and a["id"] != refused]
    assert mine, "the PHP-style services had applications"
    checked = 0
    for application_id in mine:
        events = sorted(
            (e for e in truth["events"] if e["application_id"] == application_id), key=lambda e: e["sequence"]
        )
        expected = _national_steps(local_changes.get(application_id, []))
        assert [e["status"] for e in events] == [c["national_status"] for c in expected], application_id
        times = [_utc(e["changed_at"]) for e in events]
        assert times == sorted(times), f"{application_id}: national history out of time order"
        for event, change in zip(events, expected, strict=True):
            gap = _utc(change["changed_at"]) - _utc(event["changed_at"])
            assert timedelta(0) <= gap < timedelta(seconds=1), (application_id, event, change)
        checked += len(events)
    assert checked, "the PHP-style applications have status histories"
    _report(f"php style: {len(mine)} applications, {checked} history events equal to the local system's")

    # a wrong API key: the system answers HTTP 200 {"status": false, "message": "API key tidak valid"}
    wrong = {**env, "R3509_SIPINTER_API_KEY": "not-the-key"}
    done = subprocess.run(
        [*MPPHUB, "sync", "--once", "--format", "json", "--region", FORM_REGION],
        cwd=REPO,
        env=wrong,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    fatal = json.loads(done.stdout.strip().splitlines()[-1])["fatal"]
    assert sorted(fatal) == sorted(services), fatal
    assert all("API key tidak valid" in reason for reason in fatal.values()), fatal
    assert "not-the-key" not in done.stdout + done.stderr


def _national_steps(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The local changes that change the national status (a move between two local codes of one national
    status, SURVEI -> PROSES, is no national event)."""
    steps: list[dict[str, Any]] = []
    for change in sorted(changes, key=lambda c: c["event_id"]):
        if not steps or steps[-1]["national_status"] != change["national_status"]:
            steps.append(change)
    return steps


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.utcoffset() == timedelta(0), f"{value} is not UTC"
    return moment
