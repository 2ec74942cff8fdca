"""Benchmark: one national sync cycle of the engine over N services, mostly idle, against a plain loop of
the same HTTP polls measured in the same run (issue 12, item 5).

What is generated: N services (default 5,000) spread round-robin over the 552 regions of
``registry/regions_data.py`` (regencies/cities first, then provinces), each a copy of one of five sample
REST packages (``TEMPLATES`` in ``bench/national_registry.py``: style (a) Indonesian REST with and
without walk-ins; style (b) SIMPEL-like
cursor pages with basic auth, Jatim-like with an API key, Surabaya-like Link-header pages), with its own
service code, base URL and region secrets, validated with the registry's checks (``check_document``) and
published into a throw-away registry (the first copy of each template through ``registry.publish``, the
rest written the same way in bulk, the index saved once). The national layer, the style (a) and the style
(b) local systems each run in their own process (``serve_in_process``), the hub (``SyncEngine``) in this
one. Packages keep their published rate limits (an idle service makes one or two local calls a cycle).

The run:

1. warm-up: one ``run_once`` over every service and flow (catalogue published, every feed read once,
   every connector built, every package loaded);
2. activity: about ``--active-percent`` of the services get one new national application each, as many
   (delivered beforehand) get officers' status changes, half as many walk-in services a counter
   application; every other service is idle;
3. the sandboxes' ``latency_ms`` fault is set to ``--latency-ms`` on the local systems (and
   ``--national-latency-ms`` on the national layer), then ONE measured ``run_once`` over every service;
4. baseline: every GET the engine sent during the measured cycle (the feed polls: national new
   applications, local status changes and walk-ins, same URLs and headers) replayed by a plain
   ``requests.Session`` loop (``trust_env`` off, one keep-alive session, no ledger) in a fresh process.

What is counted, per service (the engine's ``progress`` callback marks where each service ends, so each
figure is split between idle and active services):

- wall and CPU seconds (``time.process_time`` of this process: every hub thread, no sandbox);
- HTTP requests: ``requests.Session.send`` wrapped in this process (cross-checked against the request
  counters of the sandboxes' fault middleware, which count what the servers received);
- ledger rows: every ledger table is counted per service before and after the cycle (rows of a
  ``service_id`` column, ``stream_lease`` by its stream's service; tables without a service are counted
  whole): ``ledger_rows_per_idle_service`` is the net number of rows the cycle added for idle services.
  Rows written in place (leases, ``sync_health``) do not add rows: ``ledger_row_writes_per_idle_service``
  counts every row inserted or updated (cursor rowcounts of the ledger engine's statements), beside the
  statements and transactions per idle service;
- peak RSS of this process (VmHWM; the baseline child's own VmHWM beside it).

5. with ``--workers N``: as much activity again, then one cycle run by N worker processes at once, each a
   contiguous share of the services (``bench/cycle_workers.py``), warm before the clock starts; its wall
   time per service times 100,000 is the nation's cycle on this machine (``workers_cycle`` in ``--json``).

Extrapolation: ``national_cycle_seconds_per_worker`` is the measured cycle's seconds per service times
100,000 (one worker, the same mix of idle and active services); ``workers_for_5_minutes`` is that over 300
seconds, rounded up. The baseline's figures are computed the same way from its own times.

    .venv/bin/python bench/national_cycle.py                                   # 5,000 services, 50 ms
    .venv/bin/python bench/national_cycle.py --services 500 --latency-ms 50 [--json]
    .venv/bin/python bench/national_cycle.py --services 500 --ledger postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL, a fresh database is created on that server (the URL's database is only used to
create and drop it) and dropped afterwards. ``--profile FILE`` writes cProfile statistics of the measured
cycle (its times are then inflated by the profiler). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import random
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# the benchmark's sandbox systems live on loopback, which the hub refuses by default
# (connectors/url_policy.py): opt in explicitly, for this process and the ones it starts
os.environ["MPPHUB_ALLOW_LOOPBACK"] = "1"

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.cycle_counters import HttpRecorder, SqlCounter, ledger_rows  # noqa: E402
from bench.cycle_workers import build_context, run_workers, worker_child  # noqa: E402
from bench.national_figures import (  # noqa: E402
    CycleMarks,
    MeasuredCycle,
    figures,
    idle_cost,
    ratio,
    workers_figures,
)
from bench.national_registry import generate_registry  # noqa: E402
from bench.plain_baseline import baseline_child, run_baseline  # noqa: E402
from bench.process_memory import proc_status_kb  # noqa: E402
from connectors.ledger.store import Ledger  # noqa: E402
from connectors.sync.engine import ServiceResult, SyncEngine  # noqa: E402
from sandbox import credentials as cred  # noqa: E402
from sandbox.national.citizens import CitizenSimulator  # noqa: E402
from sandbox.serve import RunningServer, serve_in_process  # noqa: E402

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT = 60


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


# --- servers, ledger --------------------------------------------------------------------------------


@contextlib.contextmanager
def ledger_database(url: str | None, workdir: Path) -> Iterator[str]:
    """The ledger URL to use: a temp SQLite file, the given SQLite URL, or a fresh PostgreSQL database on
    the given server (dropped afterwards)."""
    if url is None:
        yield f"sqlite:///{workdir / 'ledger.db'}"
        return
    if url.startswith("sqlite"):
        yield url
        return
    parsed = make_url(url)
    if parsed.host not in LOOPBACK_HOSTS:
        raise SystemExit(f"--ledger must be on loopback (127.0.0.1), not {parsed.host!r}")
    name = f"mpphub_national_{uuid.uuid4().hex[:10]}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Servers:
    """The national layer and the two local systems (each in its own process)."""

    national: RunningServer
    locals: dict[str, RunningServer]

    def all(self) -> list[RunningServer]:
        """Every server."""
        return [self.national, *self.locals.values()]

    def stop(self) -> None:
        """Stop every server."""
        for server in self.all():
            with contextlib.suppress(Exception):
                server.stop()


def start_servers(workdir: Path, generated: list[tuple[dict[str, Any], str]], started: list[RunningServer]) -> Servers:
    """The national layer (empty catalogue: the warm-up publishes it) and one process per local style."""
    national = serve_in_process(
        "sandbox.national.app:create_app", {"db_path": str(workdir / "national.db"), "token": cred.NATIONAL_TOKEN}
    )
    started.append(national)
    factories = {"a": "sandbox.local.rest_indonesian:create_app", "b": "sandbox.local.rest_cursor:create_app"}
    locals_: dict[str, RunningServer] = {}
    for style, factory in factories.items():
        docs = [d for d, s in generated if s == style]
        if docs:
            locals_[style] = serve_in_process(factory, {"packages": docs}, startup_timeout=300)
            started.append(locals_[style])
    return Servers(national, locals_)


def set_latency(server: RunningServer, latency_ms: float) -> None:
    """Set the server's ``latency_ms`` fault (and restart its request counters)."""
    response = requests.put(f"{server.url}/_sandbox/faults", json={"latency_ms": latency_ms}, timeout=TIMEOUT)
    response.raise_for_status()


def served_requests(server: RunningServer) -> int:
    """Requests the server's fault middleware saw since its faults were last set."""
    response = requests.get(f"{server.url}/_sandbox/faults", timeout=TIMEOUT)
    response.raise_for_status()
    return int(response.json()["counters"].get("requests", 0))


def _post(server: RunningServer, path: str, body: dict[str, Any]) -> int:
    response = requests.post(f"{server.url}{path}", json=body, timeout=TIMEOUT)
    response.raise_for_status()
    return int(response.json()["count"])


# --- the run --------------------------------------------------------------------------------------


def run_cycle(
    engine: SyncEngine, recorder: HttpRecorder, sql: SqlCounter, quiet: bool, label: str
) -> tuple[CycleMarks, float, float]:
    """One ``run_once`` over every service: (marks, wall seconds, CPU seconds)."""
    marks = CycleMarks()
    recorder.ordinal = 0
    marks.wall.append(time.perf_counter())
    marks.cpu.append(time.process_time())
    marks.sql.append(sql.snapshot())
    step = 0

    def progress(index: int, total: int, result: ServiceResult) -> None:
        nonlocal step
        marks.wall.append(time.perf_counter())
        marks.cpu.append(time.process_time())
        marks.sql.append(sql.snapshot())
        marks.results.append(result)
        recorder.ordinal = index
        if index * 10 // total > step:
            step = index * 10 // total
            elapsed = marks.wall[-1] - marks.wall[0]
            _say(quiet, f"{label}: {index} of {total} services ({elapsed:.0f}s)")

    engine.run_once(progress=progress)
    # what the cycle does after its last service (writing its idle runs and its regions' hour of history,
    # ``Ledger.end_cycle``) is part of the cycle, and of what idle services cost: kept apart, then spread
    # over the idle services
    marks.tail = (time.perf_counter(), time.process_time(), sql.snapshot())
    return marks, marks.tail[0] - marks.wall[0], marks.tail[1] - marks.cpu[0]


def _pick(rng: random.Random, pool: list[str], n: int, taken: set[str]) -> list[str]:
    free = [s for s in pool if s not in taken]
    chosen = rng.sample(free, min(n, len(free)))
    taken.update(chosen)
    return chosen


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns the figures."""
    quiet = args.json
    recorder = HttpRecorder()
    recorder.install()
    started_servers: list[RunningServer] = []
    with tempfile.TemporaryDirectory(prefix="mpphub-national-") as tmp:
        workdir = Path(tmp)
        registry = workdir / "registry"
        t0 = time.perf_counter()
        generated = generate_registry(registry, args.services, quiet)
        generate_seconds = time.perf_counter() - t0
        docs = [d for d, _ in generated]
        _say(quiet, f"{len(docs)} packages over {len({d['region'] for d in docs})} regions ({generate_seconds:.0f}s)")
        try:
            servers = start_servers(workdir, generated, started_servers)
            with ledger_database(args.ledger, workdir) as url:
                figures = measure(args, workdir, registry, generated, servers, url, recorder)
                figures["generate_seconds"] = round(generate_seconds, 1)
                figures["ledger"] = "postgresql" if url.startswith("postgresql") else "sqlite"
                return figures
        finally:
            for server in started_servers:
                with contextlib.suppress(Exception):
                    server.stop()


def measure(
    args: argparse.Namespace,
    workdir: Path,
    registry: Path,
    generated: list[tuple[dict[str, Any], str]],
    servers: Servers,
    url: str,
    recorder: HttpRecorder,
) -> dict[str, Any]:
    """Warm-up, activity, the measured cycle and the baseline, on running servers and an empty ledger."""
    quiet = args.json
    docs = [d for d, _ in generated]
    # what the hub's parts are built from, here and in each --workers process (bench/cycle_workers.py)
    config = {
        "ledger_url": url,
        "registry": str(registry),
        "base_url_overrides": {d["local_system"]["base_url"]: servers.locals[s].url for d, s in generated},
        "national_url": servers.national.url,
        "national_token": cred.NATIONAL_TOKEN,
        "secrets": cred.secret_values(docs),
        "concurrency": args.concurrency,
        "per_host": args.per_host,
    }
    ctx = build_context(config)
    ledger = ctx.ledger
    sql = SqlCounter()
    sql.install(ledger.engine)
    engine = SyncEngine(ctx, "national-bench")
    try:
        # 1. warm-up: catalogue, first reads, connectors and packages loaded
        _, warm_seconds, warm_cpu = run_cycle(engine, recorder, sql, quiet, "warm-up cycle")
        _say(quiet, f"warm-up cycle: {warm_seconds:.1f}s wall, {warm_cpu:.1f}s CPU")
        # 2. activity on a few services; every other one is idle
        active = make_activity(args, workdir, registry, generated, servers, engine)
        # 3. the measured cycle, with the latency on
        cycle = measured_cycle(args, servers, ledger, recorder, sql, engine)
        # 4. baseline: the same GETs, plain
        base = baseline(args, workdir, servers, recorder)
        # 5. (--workers N) as much activity again, and the cycle by N worker processes at once
        by_workers = None
        if args.workers > 1:
            make_activity(args, workdir, registry, generated, servers, engine, seed=args.seed + 100)
            _latency_on(args, servers)
            by_workers = run_workers(config, [d["id"] for d in docs], args.workers, workdir)
            _say(quiet, f"the cycle by {by_workers['workers']} worker processes: {by_workers['seconds']:.1f}s wall")
    finally:
        ctx.close()  # the connectors' sessions and pools, then the ledger
    run = {
        "regions": len({d["region"] for d in docs}),
        "active_services": len(active),
        "concurrency": args.concurrency,
        "latency_ms": args.latency_ms,
        "national_latency_ms": args.national_latency_ms,
        "warmup_seconds": warm_seconds,
        "warmup_cpu_seconds": warm_cpu,
    }
    found = figures(run, cycle, idle_cost(cycle, active, recorder), base, recorder)
    if by_workers is not None:
        found["workers_cycle"] = workers_figures(by_workers, len(docs))
    return found


def make_activity(
    args: argparse.Namespace,
    workdir: Path,
    registry: Path,
    generated: list[tuple[dict[str, Any], str]],
    servers: Servers,
    engine: SyncEngine,
    seed: int | None = None,
) -> set[str]:
    """A few new applications, status changes (on applications delivered now), walk-ins: the services
    given something to do in the measured cycle (``seed``: another draw, for another cycle)."""
    seed = args.seed if seed is None else seed
    docs = [d for d, _ in generated]
    style_of = {d["id"]: s for d, s in generated}
    rng = random.Random(seed)
    ids = sorted(d["id"] for d in docs)
    walk_in_ids = [d["id"] for d in docs if "walk_ins" in d["local_system"]["operations"]]
    n_active = max(1, round(args.services * args.active_percent / 100))
    taken: set[str] = set()
    status_group = _pick(rng, ids, n_active, taken)
    new_group = _pick(rng, ids, n_active, taken)
    walk_group = _pick(rng, walk_in_ids, max(1, n_active // 2), taken)
    simulator = CitizenSimulator.to_store(
        workdir / "national.db", registry_dir=registry, seed=seed, services=status_group, max_attachment_kb=4
    )
    simulator.submit(len(status_group) * 2)
    for service_id in status_group:
        engine.run_service(service_id, flows=["outbound", "inbound"])
    changes = 0
    for service_id in status_group:
        changes += _post(
            servers.locals[style_of[service_id]], "/_sandbox/officers/step", {"n": 1, "package_id": service_id}
        )
    CitizenSimulator.to_store(
        workdir / "national.db", registry_dir=registry, seed=seed + 1, services=new_group, max_attachment_kb=4
    ).submit(len(new_group))
    walk_ins = 0
    for service_id in walk_group:
        walk_ins += _post(
            servers.locals[style_of[service_id]], "/_sandbox/officers/walk-ins", {"n": 1, "package_id": service_id}
        )
    active = set(status_group) | set(new_group) | set(walk_group)
    _say(
        args.json,
        f"activity: {len(new_group)} new applications, {changes} status changes on {len(status_group)} services, "
        f"{walk_ins} walk-ins; {len(ids) - len(active)} services idle",
    )
    return active


def _latency_on(args: argparse.Namespace, servers: Servers) -> None:
    """The sandboxes' latency fault on (which also restarts their request counters)."""
    for style_server in servers.locals.values():
        set_latency(style_server, args.latency_ms)
    set_latency(servers.national, args.national_latency_ms)


def measured_cycle(
    args: argparse.Namespace,
    servers: Servers,
    ledger: Ledger,
    recorder: HttpRecorder,
    sql: SqlCounter,
    engine: SyncEngine,
) -> MeasuredCycle:
    """ONE ``run_once`` over every service with the latency on, and what was counted around it."""
    _latency_on(args, servers)
    rows_before = ledger_rows(ledger.engine)
    rss_before = proc_status_kb("VmRSS")
    recorder.active = True
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    marks, cycle_seconds, cycle_cpu = run_cycle(engine, recorder, sql, args.json, "measured cycle")
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(args.profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    recorder.active = False
    cycle = MeasuredCycle(
        marks,
        cycle_seconds,
        cycle_cpu,
        rows_before=rows_before,
        rows_after=ledger_rows(ledger.engine),
        rss_before_kb=rss_before,
        rss_after_kb=proc_status_kb("VmRSS"),
        peak_kb=proc_status_kb("VmHWM"),
        served={name: served_requests(s) for name, s in [("national", servers.national), *servers.locals.items()]},
    )
    _say(args.json, f"measured cycle: {cycle_seconds:.1f}s wall, {cycle_cpu:.1f}s CPU")
    return cycle


def baseline(args: argparse.Namespace, workdir: Path, servers: Servers, recorder: HttpRecorder) -> dict[str, Any]:
    """The measured cycle's GETs replayed by the plain loop, against the same servers and latency; its
    figures, with the requests the servers counted (``served_total``)."""
    _latency_on(args, servers)
    _say(args.json, f"baseline: replaying {len(recorder.gets)} GETs with one plain requests.Session")
    base = run_baseline(workdir, recorder.gets)
    _say(args.json, f"baseline: {base['seconds']:.1f}s wall, {base['cpu_seconds']:.1f}s CPU")
    base["served_total"] = sum(served_requests(s) for s in servers.all())
    return base


def print_table(f: dict[str, Any]) -> None:
    """The human-readable report."""
    r = f["ratios"]
    rows = [
        ("cycle wall s", f["cycle_seconds"], f["baseline_cycle_seconds"], r["cycle_seconds"]),
        (
            "cycle CPU s",
            f["cycle_cpu_seconds"],
            f["baseline_cpu_seconds"],
            ratio(f["cycle_cpu_seconds"], f["baseline_cpu_seconds"]),
        ),
        (
            "CPU ms / idle service",
            f["cpu_ms_per_idle_service"],
            f["baseline_cpu_ms_per_idle_service"],
            r["cpu_ms_per_idle_service"],
        ),
        (
            "wall ms / idle service",
            f["idle_wall_ms_per_service"],
            f["baseline_idle_wall_ms_per_service"],
            ratio(f["idle_wall_ms_per_service"], f["baseline_idle_wall_ms_per_service"]),
        ),
        (
            "requests / idle service",
            f["requests_per_idle_service"],
            f["baseline_requests_per_idle_service"],
            r["requests_per_idle_service"],
        ),
        ("ledger rows / idle service", f["ledger_rows_per_idle_service"], 0, None),
        ("ledger row writes / idle svc", f["ledger_row_writes_per_idle_service"], 0, None),
        ("peak RSS MiB", f["peak_rss_mib"], f["baseline_peak_rss_mib"], r["peak_rss_mib"]),
        (
            "national cycle s / worker",
            f["national_cycle_seconds_per_worker"],
            f["baseline_national_cycle_seconds_per_worker"],
            r["national_cycle_seconds_per_worker"],
        ),
        (
            "workers for 5 minutes",
            f["workers_for_5_minutes"],
            f["baseline_workers_for_5_minutes"],
            ratio(f["workers_for_5_minutes"], f["baseline_workers_for_5_minutes"]),
        ),
    ]
    print(
        f"{f['services']} services over {f['regions']} regions ({f['idle_services']} idle, {f['active_services']} active), "
        f"local latency {f['latency_ms']} ms, national {f['national_latency_ms']} ms, ledger {f['ledger']}"
    )
    print(f"{'measure':<30} {'engine':>12} {'baseline':>12} {'ratio':>7}")
    for name, value, base, times in rows:
        print(f"{name:<30} {value:>12} {base:>12} {'' if times is None else times:>7}")
    print(
        f"idle service: {f['http_ms_per_idle_service']} ms in HTTP, {f['sql_ms_per_idle_service']} ms in SQL, "
        f"{f['ledger_statements_per_idle_service']} statements in {f['ledger_transactions_per_idle_service']} transactions; "
        f"row writes {f['ledger_row_writes_by_table_per_idle_service']}"
    )
    print(
        f"rows added by table (all services): {f['ledger_rows_added_by_table']}; requests by method {f['requests_by_method']} "
        f"(sandboxes counted {f['requests_counted_by_sandboxes']}, hub {f['requests_counted_by_hub']})"
    )
    print(
        f"warm-up cycle {f['warmup_cycle_seconds']} s; CPU-bound national cycle {f['cpu_bound_national_cycle_seconds']} s; "
        f"RSS growth in the cycle {f['rss_growth_in_cycle_mib']} MiB; services with errors {f['services_with_errors']}; "
        f"cycle end (idle runs written together) {f['cycle_end_cpu_ms']} ms CPU, counted in the idle figures"
    )
    w = f.get("workers_cycle")
    if w:
        print(
            f"the cycle by {w['workers']} worker processes at once: {w['cycle_seconds']} s wall (each: "
            f"{w['worker_seconds']} s, CPU {w['worker_cpu_seconds']} s); the nation {w['national_cycle_seconds']} s "
            f"on this machine ({'within' if w['fits_5_minutes'] else 'over'} 5 minutes); "
            f"services with errors {w['services_with_errors']}"
        )


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--services", type=int, default=5000, help="generated services (default 5000)")
    parser.add_argument(
        "--latency-ms", type=float, default=50.0, help="added latency of the local systems (default 50)"
    )
    parser.add_argument(
        "--national-latency-ms", type=float, default=0.0, help="added latency of the national layer (default 0)"
    )
    parser.add_argument("--ledger", default=None, help="SQLite or PostgreSQL URL (default: a temp SQLite file)")
    parser.add_argument(
        "--active-percent",
        type=float,
        default=1.0,
        help="services with new applications, and as many with status changes (default 1)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="services side by side in the engine (default 1: sequential)"
    )
    parser.add_argument("--per-host", type=int, default=2, help="at most this many on one local host (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default=None, help="write cProfile statistics of the measured cycle here")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="also run a cycle by this many worker processes at once, each with --concurrency (default 1: not)",
    )
    parser.add_argument("--baseline-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cycle-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline_child:
        return baseline_child(args.baseline_child)
    if args.cycle_child:
        return worker_child(args.cycle_child)
    if args.services < 1:
        parser.error("--services must be at least 1")
    if args.workers < 1:
        parser.error("--workers must be at least 1")

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        figures = run(args)
    except KeyboardInterrupt:
        print("interrupted: servers stopped, temporary files removed", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
