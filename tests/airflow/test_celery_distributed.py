"""A real distributed run: Airflow with the CeleryExecutor — api-server, scheduler, dag-processor and two
Celery workers as separate processes, Redis (127.0.0.1:6379) as the broker, a fresh PostgreSQL database
for Airflow's metadata and Celery's results and another for the hub's ledger — triggers a region's DAG
and checks the sandbox's truth: every application delivered exactly once and acknowledged, every status
event received once. Unique database names, Redis database, queue and ports keep parallel runs apart."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pytest
from sqlalchemy import create_engine, text

from tests.airflow.conftest import AIRFLOW, DAGS, REPO
from tests.airflow.test_dag_run import connection_env, hub_env, region_services

pytestmark = pytest.mark.slow

REGION = "35.78"
DAG_ID = "mpphub_sync_35_78"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = ("127.0.0.1", 6379)
RUN_TIMEOUT = 150.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    """Two fresh PostgreSQL databases (Airflow's, the ledger), dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    names = {"airflow": f"mpphub_af_{suffix}", "ledger": f"mpphub_afledger_{suffix}"}
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield names
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Cluster:
    """The Airflow processes of one test, their logs, and their environment."""

    home: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, TextIO] = field(default_factory=dict)

    def airflow(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [str(AIRFLOW), *args], env=self.env, capture_output=True, text=True, timeout=timeout, cwd=self.home
        )
        assert done.returncode == 0, f"airflow {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def start(self, name: str, *args: str, extra_env: dict[str, str] | None = None) -> None:
        log = (self.home / f"{name}.log").open("w")
        self.logs[name] = log
        self.procs[name] = subprocess.Popen(
            [str(AIRFLOW), *args],
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.home,
            start_new_session=True,  # stopped as a group: the workers' and processor's children too
        )

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited with {proc.returncode}\n{self.diagnostics()}"

    def diagnostics(self) -> str:
        parts = []
        for name in self.procs:
            log = self.home / f"{name}.log"
            content = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"----- {name} (last 4000 chars) -----\n{content[-4000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(timeout=10)
        for log in self.logs.values():
            log.close()


def redis_db_number() -> int:
    """A Redis database number for this run (the queue name is unique anyway)."""
    return 1 + uuid.uuid4().int % 15


@pytest.fixture
def cluster(
    tmp_path: Path,
    databases: dict[str, str],
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> Iterator[Cluster]:
    try:
        socket.create_connection(REDIS, timeout=5).close()
    except OSError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS[0]}:{REDIS[1]} ({exc}); the distributed test needs it")
    home = tmp_path / "airflow"
    home.mkdir()
    api_port = free_port()
    airflow_db = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{databases['airflow']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "_AIRFLOW"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{redis_db_number()}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:5432/{databases['airflow']}",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"mpphub_test_{uuid.uuid4().hex[:10]}",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "MPPHUB_DAG_CACHE_DIR": str(home),
            # one service a task (the default batches 50 into one): the region's few services become as
            # many tasks, which the two workers split between them
            "MPPHUB_DAG_SERVICES_PER_TASK": "1",
            "PYTHONPATH": os.pathsep.join([str(REPO), str(DAGS)]),
        }
    )
    env.update(hub_env(tmp_path, national_server, [local_rest_indonesian, local_rest_cursor]))
    env["MPPHUB_LEDGER_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{databases['ledger']}"
    env.update(connection_env({**local_rest_indonesian.secrets, **local_rest_cursor.secrets}))
    for ref in {**local_rest_indonesian.secrets, **local_rest_cursor.secrets}:
        env.pop(ref, None)  # credentials reach the workers only as Airflow Connections
    cluster = Cluster(home, env)
    cluster.airflow("db", "migrate", timeout=300)
    done = subprocess.run(
        [sys.executable, "-m", "mpphub_airflow.pools", "--slots", "2", "--apply"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        cluster.start("api-server", "api-server", "--port", str(api_port))
        cluster.start("dag-processor", "dag-processor")
        cluster.start("scheduler", "scheduler")
        for n in (1, 2):
            cluster.start(
                f"worker{n}",
                "celery",
                "worker",
                "--celery-hostname",
                f"mpphub-test-{n}-{uuid.uuid4().hex[:6]}@%h",
                "--concurrency",
                "2",
                "--skip-serve-logs",
                extra_env={"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
            )
        yield cluster
    finally:
        cluster.stop()


def wait_for(what: str, cluster: Cluster, probe: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.check_alive()
        value = probe()
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{cluster.diagnostics()}")


def test_two_celery_workers_sync_a_region_exactly_once(
    cluster: Cluster, databases: dict[str, str], national_server: Any, local_rest_cursor: Any
) -> None:
    services = region_services()
    national_server.citizens(4 * len(services), seed=21, services=services)
    metadata = create_engine(cluster.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "+psycopg"))
    try:

        def parsed() -> bool:
            with metadata.connect() as conn:
                return (
                    conn.execute(text("SELECT 1 FROM serialized_dag WHERE dag_id = :d"), {"d": DAG_ID}).first()
                    is not None
                )

        wait_for(f"the DAG processor to parse {DAG_ID}", cluster, parsed, 120)
        cluster.airflow("dags", "unpause", DAG_ID)
        run_id = f"manual__distributed_{uuid.uuid4().hex[:8]}"
        cluster.airflow("dags", "trigger", DAG_ID, "--run-id", run_id)

        def finished() -> str | None:
            with metadata.connect() as conn:
                row = conn.execute(
                    text("SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r"), {"d": DAG_ID, "r": run_id}
                ).first()
            return row[0] if row and row[0] in ("success", "failed") else None

        state = wait_for(f"run {run_id} to finish", cluster, finished, RUN_TIMEOUT)
        with metadata.connect() as conn:
            tasks = conn.execute(
                text("SELECT map_index, state, hostname FROM task_instance WHERE dag_id = :d AND run_id = :r"),
                {"d": DAG_ID, "r": run_id},
            ).all()
    finally:
        metadata.dispose()
    assert state == "success", f"{tasks}\n{cluster.diagnostics()}"
    assert sorted(t.map_index for t in tasks) == list(range(len(services)))

    truth = national_server.truth()
    online = [a for a in truth["applications"] if a["service_id"] in services and a["origin"] != "walk_in"]
    assert len(online) == 4 * len(services)
    created = Counter(local_rest_cursor.truth()["submissions"]["created_per_national_id"])
    for app in online:
        assert created[app["id"]] == 1, app["id"]
        assert app["acknowledgement"] is not None, app["id"]
    assert all(n == 1 for n in created.values())
    assert all(e["received_count"] == 1 for e in truth["events"])
    assert json.dumps(truth["rejections"]) == "[]"
