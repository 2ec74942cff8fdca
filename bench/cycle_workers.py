"""``bench/national_cycle.py --workers N``: the measured cycle run by N worker processes at once, as Airflow's
Celery workers divide the nation (each a share of the services, one ``run_once`` over it, on one ledger).

The parent writes each worker's share and what it needs to build the hub's parts (ledger URL, registry,
the local systems' addresses, the sandbox secrets, the national layer) into a file in the run's temporary
folder, starts the N processes together and waits for all of them; each prints its own wall and CPU
seconds and how many of its services reported errors. What this answers is the design's "one 2-core
worker": the wall time of a cycle when the CPU work is spread over the machine's cores."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.context import SyncContext
from connectors.sync.engine import SyncEngine
from connectors.sync.packages import PackageSource
from hub.settings import Settings
from hub.wiring import connector_factory


def shares(services: list[str], workers: int) -> list[list[str]]:
    """``services`` in ``workers`` contiguous shares of sorted ids (a region's services stay together but
    at the boundaries, as the DAG's batches keep them)."""
    ordered = sorted(services)
    size, extra = divmod(len(ordered), workers)
    found, start = [], 0
    for index in range(workers):
        end = start + size + (1 if index < extra else 0)
        found.append(ordered[start:end])
        start = end
    return [share for share in found if share]


def build_context(config: dict[str, Any]) -> SyncContext:
    """The hub's parts as the benchmark's own process builds them (``national_cycle.measure``)."""
    registry = Path(config["registry"])
    settings = Settings(
        ledger_url=config["ledger_url"], registry=registry, base_url_overrides=config["base_url_overrides"]
    )
    national = NationalClient(config["national_url"], config["national_token"])
    ctx = SyncContext(
        Ledger.open(config["ledger_url"]),
        PackageSource(registry),
        national,
        connector_factory(settings, StaticSecrets(config["secrets"]), national),
    )
    ctx.concurrency, ctx.per_host = config["concurrency"], config["per_host"]
    return ctx


def worker_child(path: Path) -> int:
    """In a worker process: one ``run_once`` over this worker's share; print its figures as JSON."""
    config = json.loads(path.read_text(encoding="utf-8"))
    ctx = build_context(config)
    try:
        engine = SyncEngine(ctx, config["worker"])
        # warm, as the benchmark's own process is after its warm-up cycle (and a Celery worker after its
        # first cycles): the share's packages loaded and connectors built; then wait for the others
        for service_id in config["services"]:
            ctx.connector(ctx.packages.latest(service_id))
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 1
        start, cpu_start = time.perf_counter(), time.process_time()
        results = engine.run_once(services=config["services"])
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    finally:
        ctx.close()
    errors = sum(1 for r in results if r.errors or r.fatal)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "services": len(results), "errors": errors}))
    return 0


def run_workers(config: dict[str, Any], services: list[str], workers: int, workdir: Path) -> dict[str, Any]:
    """The cycle by ``workers`` processes started together: wall seconds until the last one ended, and
    each one's own figures."""
    commands = []
    for index, share in enumerate(shares(services, workers)):
        path = workdir / f"cycle-worker-{index}.json"
        path.write_text(json.dumps({**config, "worker": f"national-bench-{index}", "services": share}), "utf-8")
        commands.append(
            [sys.executable, str(Path(__file__).resolve().parent / "national_cycle.py"), "--cycle-child", str(path)]
        )
    processes = [
        subprocess.Popen(c, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    try:
        for process in processes:  # every worker warm before the clock starts
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a cycle worker did not start:\n{process.communicate(timeout=60)[1][-3000:]}")
        start = time.perf_counter()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [p.communicate(timeout=7200) for p in processes]
        seconds = time.perf_counter() - start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    each = []
    for process, (out, err) in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"a cycle worker failed:\n{err[-3000:]}")
        each.append(json.loads(out.strip().splitlines()[-1]))
    return {"workers": len(each), "seconds": seconds, "each": each}
