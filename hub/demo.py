"""The embedded demo: the sandbox national layer and local systems, the sample registry published to the
catalogue, simulated citizens and officers, sync cycles — then a per-region summary with duplicates and
losses counted against the sandboxes' own truth. Everything runs on loopback in temporary places."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.context import SyncContext
from connectors.sync.engine import SyncEngine
from connectors.sync.packages import PackageSource
from connectors.url_policy import ALLOW_LOOPBACK_SETTING
from hub.settings import Settings
from hub.wiring import connector_factory
from sandbox import credentials as cred
from sandbox.local.catalogue import regional_systems
from sandbox.local.sql_tables import SqlLocalSystem
from sandbox.national.citizens import CitizenSimulator
from sandbox.serve import serve_in_process, serve_in_thread, serve_many_in_process
from sandbox.world import Say, start_sql_systems, world_stack

# the shared simulated HTTP systems, one per style, serving the hand-written packages (sandbox/credentials.py)
SHARED_STYLES = tuple(cred.FACTORIES)


@contextmanager
def loopback_opt_in() -> Iterator[None]:
    """Allow loopback endpoints (``MPPHUB_ALLOW_LOOPBACK=1``) while the demo runs: its national layer,
    local systems and scratch databases all live on loopback, which the hub refuses by default
    (``connectors.url_policy``). The previous value comes back afterwards."""
    previous = os.environ.get(ALLOW_LOOPBACK_SETTING)
    os.environ[ALLOW_LOOPBACK_SETTING] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ALLOW_LOOPBACK_SETTING, None)
        else:
            os.environ[ALLOW_LOOPBACK_SETTING] = previous


def run_demo(
    registry: Path,
    say: Say = print,
    citizens: int = 60,
    cycles: int = 5,
    dashboard: DashboardOptions | None = None,
) -> Summary:
    """Run the whole demo; returns the summary (also printed through ``say``; per service in
    ``summary.services``).

    With ``dashboard``, keep serving the API and the dashboard over the demo's ledger after the summary
    (until Ctrl-C or ``dashboard.stop``), printing its URL with a fresh coordinator token. Ctrl-C (at any
    point, start-up included) raises KeyboardInterrupt once everything the demo started is stopped, its
    scratch databases dropped and its temporary folder removed; a second Ctrl-C meanwhile is ignored.
    """
    from connectors.masking import install_log_masking

    # as the CLI does: the demo's own logs (urllib3 at DEBUG logs every URL, a query-string key with it)
    # are masked however the demo is started
    install_log_masking()
    packages = PackageSource(registry)
    docs = [packages.latest(s) for s in packages.service_ids()]
    # torn down however it ends (a Ctrl-C during start-up too), a second Ctrl-C ignored; the temporary folder
    # last, once the servers and the ledger using it are stopped
    with world_stack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="mpphub-demo-"))
        stack.enter_context(loopback_opt_in())
        say("starting the sandbox ...")
        national = serve_in_process(
            "sandbox.national.app:create_app", {"db_path": f"{tmp}/national.db", "token": cred.NATIONAL_TOKEN}
        )
        stack.callback(national.stop)
        # the shared systems serve the hand-written packages (load_packages' default); each region adopting
        # a template gets its own system per style, serving its composed packages (one SIPENA per region)
        regional = regional_systems([d for d in docs if "extends" in d])
        started = serve_many_in_process(
            [(cred.FACTORIES[style], cred.factory_kwargs(style)) for style in SHARED_STYLES]
            + [
                (cred.FACTORIES[style], {**cred.factory_kwargs(style), "packages": group})
                for (_, style), group in regional.items()
            ]
        )
        for server in started:
            stack.callback(server.stop)
        local = dict(zip(SHARED_STYLES, started, strict=False))
        regional_servers = dict(zip(regional, started[len(SHARED_STYLES) :], strict=True))
        local_urls = [s.url for s in started]
        secrets = cred.secret_values(docs)
        sql_systems: list[SqlLocalSystem] = []
        services = [d["id"] for d in docs if cred.http_style(d) is not None]
        for sql in start_sql_systems(stack, docs, seed=1, say=say):
            sql_systems.append(sql.system)
            services += [d["id"] for d in sql.packages]
            secrets.update(sql.secrets)
        overrides = {
            d["local_system"]["base_url"]: (
                regional_servers[(d["region"], style)] if "extends" in d else local[style]
            ).url
            for d in docs
            if (style := cred.http_style(d)) is not None
        }
        settings = Settings(
            ledger_url=f"sqlite:///{tmp}/ledger.db", national_url=national.url, base_url_overrides=overrides
        )
        client = NationalClient(national.url, cred.NATIONAL_TOKEN)
        ledger = Ledger.open(settings.ledger_url)
        stack.callback(ledger.close)
        ctx = SyncContext(ledger, packages, client, connector_factory(settings, StaticSecrets(secrets), client))
        stack.callback(ctx.close)  # its connectors (SQL pools, HTTP sessions) before their servers stop
        engine = SyncEngine(ctx, "demo")
        services.sort()
        say(f"publishing {len(services)} services to the national catalogue ...")
        for service_id in services:
            engine.run_service(service_id, ["catalogue"])
        say(f"{citizens} citizens apply; officers work; {cycles} sync cycles ...")
        simulator = CitizenSimulator.to_url(national.url, registry_dir=registry, seed=7, services=services)
        # every service once first (the adopting regions' too) when there are citizens enough, then at random
        first = simulator.submit_each() if citizens >= len(simulator.packages) else []
        simulator.submit(citizens - len(first))
        for cycle in range(cycles):
            for service_id in services:
                engine.run_service(service_id, ["outbound", "walk_in", "inbound"])
            if cycle < cycles - 1:
                _officers_work(local_urls, sql_systems, walk_ins=cycle == 0)
        summary = _summary(national.url, local_urls, sql_systems, ledger, set(services))
        _print(summary, say)
        if dashboard is not None:
            world = _World(registry, ledger, engine, services, simulator, local_urls, sql_systems)
            serve_dashboard(world, dashboard, say)
    return summary


def _officers_work(local_urls: list[str], sql_systems: list[SqlLocalSystem], walk_ins: bool) -> None:
    """Officers move one application a step in every local system (and register a walk-in when asked)."""
    for url in local_urls:
        requests.post(f"{url}/_sandbox/officers/step", json={"n": 1}, timeout=30).raise_for_status()
        if walk_ins:
            requests.post(f"{url}/_sandbox/officers/walk-ins", json={"n": 1}, timeout=30).raise_for_status()
    for system in sql_systems:
        system.officers_step(1)
        if walk_ins:
            system.create_walk_ins(1)


@dataclass
class DashboardOptions:
    """How the demo keeps serving the dashboard after its summary (``mpphub demo`` from a terminal)."""

    port: int = 8780  # mpphub serve's default; a free port is taken when it is busy
    stall_minutes: float = 1.0  # short, so the paused region shows as stalled within a minute
    interval_seconds: float = 15.0  # between the background sync cycles of the other regions
    paused_region: str = "35.78"  # its sync worker "stops" after the summary: the stalled region to find
    stop: threading.Event = field(default_factory=threading.Event)  # set to end serving (tests); Ctrl-C too


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class _World:
    registry: Path
    ledger: Ledger
    engine: SyncEngine
    services: list[str]
    simulator: CitizenSimulator
    local_urls: list[str]
    sql_systems: list[SqlLocalSystem]


def serve_dashboard(world: _World, options: DashboardOptions, say: Say) -> None:
    """Serve the hub API and dashboard over the demo's ledger until Ctrl-C (or ``options.stop``).

    Meanwhile citizens keep applying and every region but ``options.paused_region`` keeps syncing, so the
    charts move and that one region turns stalled, with its reason, for the coordinator to find.
    """
    from hub.api.app import create_app
    from hub.tokens import create_token

    token = create_token(world.ledger.engine, "demo coordinator", "coordinator")
    app = create_app(world.ledger, world.registry, stall_minutes=options.stall_minutes, cache_seconds=2.0)
    server = serve_in_thread(app, port=options.port if _port_free(options.port) else 0)  # busy: any free one
    active = [s for s in world.services if not s.startswith(options.paused_region + "/")]
    say("")
    say(f"dashboard (coordinator token included): {server.url}/#token={token}")
    say(
        f"the demo keeps syncing every region but {options.paused_region}, whose sync is paused: within"
        f" {options.stall_minutes:g} min the dashboard shows it stalled (click 'stalled', then the region)."
    )
    say("press Ctrl-C to stop")
    try:
        while not options.stop.wait(options.interval_seconds):
            try:
                world.simulator.submit(2)
                _officers_work(world.local_urls, world.sql_systems, walk_ins=False)
                for service_id in active:
                    if options.stop.is_set():
                        break
                    world.engine.run_service(service_id, ["outbound", "walk_in", "inbound"])
            except Exception as exc:  # keep serving: the dashboard shows what the ledger has
                say(f"background sync cycle failed ({type(exc).__name__}); the dashboard keeps serving")
    finally:  # Ctrl-C goes on up through run_demo, which stops the sandbox and removes its temporary folder
        server.stop()


class Summary(dict[str, dict[str, int]]):
    """The demo's summary: region -> counts (what is printed), and ``services``: the same truth per
    service id, with ``misrouted`` (online applications created in another package's local system)."""

    services: dict[str, dict[str, int]]


def _summary(
    national_url: str, local_urls: list[str], sql_systems: list[SqlLocalSystem], ledger: Ledger, services: set[str]
) -> Summary:
    truth = requests.get(f"{national_url}/_sandbox/truth", timeout=30).json()
    created: Counter[str] = Counter()
    local_status: dict[str, str] = {}
    created_in: dict[str, set[str]] = defaultdict(set)  # national id -> the packages it was created under
    for url in local_urls:
        local = requests.get(f"{url}/_sandbox/truth", timeout=30).json()
        created.update(local["submissions"]["created_per_national_id"])
        local_status.update({a["national_id"]: a["national_status"] for a in local["applications"] if a["national_id"]})
        for a in local["applications"]:
            if a["national_id"]:
                created_in[a["national_id"]].add(a["package_id"])
    for system in sql_systems:
        for report in system.truth().values():
            created.update(report["created_per_national_id"])
            for change in report["status_changes"]:
                if change["national_id"]:
                    local_status[change["national_id"]] = change["national_status"]
    rows: dict[str, Counter[str]] = defaultdict(Counter)  # per service id
    for app in truth["applications"]:
        if app["service_id"] not in services:
            continue
        row = rows[app["service_id"]]
        if app["origin"] == "walk_in":
            row["walk_ins_registered"] += 1
            continue
        row["applications"] += 1
        row["delivered"] += 1 if app["acknowledgement"] else 0
        row["lost"] += 0 if created[app["id"]] else 1
        row["duplicated"] += max(created[app["id"]] - 1, 0)
        row["misrouted"] += 1 if created_in[app["id"]] - {app["service_id"]} else 0
        row["status_behind"] += 1 if app["id"] in local_status and app["status"] != local_status[app["id"]] else 0
    service_of = {a["id"]: a["service_id"] for a in truth["applications"]}
    for event in truth["events"]:
        if event["application_id"] in service_of:
            rows[service_of[event["application_id"]]]["events_pushed"] += 1
            rows[service_of[event["application_id"]]]["events_duplicated"] += event["received_count"] - 1
    region_of = {a["service_id"]: a["region"] for a in truth["applications"]}
    for letter in ledger.dead_letters():
        rows[letter["service_id"]]["dead_letters"] += 1
        region_of.setdefault(letter["service_id"], letter["region"])
    regions: dict[str, Counter[str]] = defaultdict(Counter)
    for service_id, counts in rows.items():
        regions[region_of[service_id]].update(counts)
    summary = Summary({region: dict(counts) for region, counts in sorted(regions.items())})
    summary.services = {service_id: dict(counts) for service_id, counts in sorted(rows.items())}
    return summary


def _print(summary: dict[str, Any], say: Say) -> None:
    columns = {
        "applications": "applications",
        "delivered": "delivered",
        "walk_ins_registered": "walk-ins",
        "events_pushed": "events",
        "dead_letters": "dead-letters",
        "duplicated": "dup-apps",
        "events_duplicated": "dup-events",
        "lost": "lost",
        "status_behind": "status-behind",
    }
    say("\n" + f"{'region':<8}" + "".join(f"{label:>14}" for label in columns.values()))
    for region, counts in summary.items():
        say(f"{region:<8}" + "".join(f"{counts.get(key, 0):>14}" for key in columns))
    totals = Counter[str]()
    for counts in summary.values():
        totals.update(counts)
    say(
        f"\nduplicates: {totals['duplicated'] + totals['events_duplicated']}   losses: {totals['lost']}   (counted against the sandboxes' truth)"
    )
