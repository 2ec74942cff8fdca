"""Run the sandbox: the reference national layer and the simulated REST local systems on loopback.

`mpphub sandbox up` starts each server in its own process, prints their URLs and credentials and the
MPPHUB_* environment with which `mpphub sync` talks to them (MPPHUB_ALLOW_LOOPBACK=1 among it: the hub
refuses loopback endpoints unless told so), then keeps serving (with simulated citizens
and officers when asked) until Ctrl-C, which stops every server, says "stopped" and exits 130. The sql packages' tables are created in throw-away databases on this machine's PostgreSQL and MariaDB
(admin URLs: MPPHUB_DEMO_POSTGRES_ADMIN_URL, MPPHUB_DEMO_MARIADB_ADMIN_URL) and dropped at Ctrl-C.
A Ctrl-C during start-up ends it the same way: what was started by then is stopped and dropped. A second
Ctrl-C while it is stopping is ignored (the teardown finishes; each server gets 10 s, then is killed).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

INTERRUPTED = 130  # the exit code of a command ended by Ctrl-C (128 + SIGINT), as shells report it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub sandbox``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="start the sandbox servers and keep them running until Ctrl-C")
    up.add_argument("--registry", type=Path, default=Path("registry"), help="registry folder (default: registry)")
    up.add_argument("--state", type=Path, default=Path(".mpphub/sandbox"), help="where the national SQLite file lives")
    up.add_argument("--national-port", type=int, default=8700, help="default 8700 (0: any free port)")
    up.add_argument("--indonesian-port", type=int, default=8801, help="style (a) REST system, default 8801")
    up.add_argument("--cursor-port", type=int, default=8802, help="style (b) REST system, default 8802")
    up.add_argument("--form-port", type=int, default=8803, help="style (d) REST system (PHP form posts), default 8803")
    up.add_argument("--seed", type=int, default=0, help="seed of officers, citizens and faults")
    up.add_argument(
        "--faults", default="{}", metavar="JSON", help="fault knobs for every server, e.g. '{\"error_rate\": 0.1}'"
    )
    up.add_argument("--citizens-rate", type=float, default=0.0, help="citizens applying per second (default 0: none)")
    up.add_argument(
        "--no-sql", action="store_true", help="do not create the sql packages' databases (PostgreSQL/MariaDB)"
    )
    up.add_argument(
        "--officer-interval", type=float, default=None, help="seconds between officers' rounds (default: off)"
    )
    up.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="also write the MPPHUB_* environment as `export` lines to this file (make airflow sources it)",
    )


def run(args: argparse.Namespace) -> int:
    """Start, print, serve until Ctrl-C, stop cleanly (also when Ctrl-C comes during start-up)."""
    try:
        from sandbox.world import world_stack

        with world_stack() as stack:  # whatever was started is stopped on leaving, a second Ctrl-C ignored
            return _up(args, stack)
    except KeyboardInterrupt:  # the way to stop, at any point: the servers ignore the terminal's Ctrl-C
        pass
    # one line, once everything is stopped and dropped ("\n": off the line the terminal echoed ^C on)
    print("\nstopped", flush=True)
    return INTERRUPTED


def _up(args: argparse.Namespace, stack: ExitStack) -> int:
    """Start each part, its teardown on ``stack`` as soon as it runs; print; serve until Ctrl-C (which
    raises KeyboardInterrupt). Returns only on a usage error (2) or a server that did not start (1)."""
    from sandbox.credentials import (
        FACTORIES,
        LOCAL_API_KEY,
        LOCAL_PASSWORD,
        LOCAL_TOKEN,
        LOCAL_USERNAME,
        NATIONAL_TOKEN,
        factory_kwargs,
        http_style,
        secret_values,
    )
    from sandbox.faults import FaultConfig
    from sandbox.local.catalogue import adopted_packages, load_packages, regional_systems
    from sandbox.serve import RunningServer, serve_in_process, serve_many_in_process

    try:
        faults = json.loads(args.faults)
        FaultConfig.from_dict(faults)
    except (ValueError, TypeError) as exc:
        print(f"mpphub sandbox: --faults: {exc}", file=sys.stderr)
        return 2
    if not (args.registry / "index.json").is_file():
        print(f"mpphub sandbox: {args.registry}/index.json not found (see --registry)", file=sys.stderr)
        return 2
    args.state.mkdir(parents=True, exist_ok=True)
    # the shared REST systems serve the hand-written packages; each region adopting a template runs its own
    # system per style (on any free port), serving its composed published packages: regions adopting one
    # template share its service codes (every SIPENA is jenis_layanan SKP), so they cannot share a system
    packages = load_packages(args.registry / "packages")
    adopted = adopted_packages(args.registry)
    regional = regional_systems(adopted)
    common = {"seed": args.seed, "fault_config": faults, "officer_interval_s": args.officer_interval}
    servers: dict[str, RunningServer] = {}

    def started(name: str, server: RunningServer) -> None:
        servers[name] = server
        stack.callback(server.stop)

    try:
        started(
            "national",
            serve_in_process(
                "sandbox.national.app:create_app",
                {
                    "db_path": str(args.state / "national.db"),
                    "token": NATIONAL_TOKEN,
                    "fault_config": faults,
                    "registry_dir": str(args.registry),
                },
                port=args.national_port,
            ),
        )
        started(
            "indonesian",
            serve_in_process(
                "sandbox.local.rest_indonesian:create_app", {"token": LOCAL_TOKEN, **common}, port=args.indonesian_port
            ),
        )
        started(
            "cursor",
            serve_in_process(
                "sandbox.local.rest_cursor:create_app",
                {"username": LOCAL_USERNAME, "password": LOCAL_PASSWORD, "api_key": LOCAL_API_KEY, **common},
                port=args.cursor_port,
            ),
        )
        started("form", serve_in_process(FACTORIES["form"], {**factory_kwargs("form"), **common}, port=args.form_port))
        for style in FACTORIES:  # every other simulated system (the soap web service...): on any free port
            if style not in servers:
                started(style, serve_in_process(FACTORIES[style], {**factory_kwargs(style), **common}))
        regional_servers = serve_many_in_process(
            [
                (FACTORIES[style], {**factory_kwargs(style), **common, "packages": group})
                for (_, style), group in regional.items()
            ]
        )
        for (region, style), server in zip(regional, regional_servers, strict=True):
            started(f"{region} {style}", server)
    except RuntimeError as exc:  # those already started are stopped on leaving
        print(f"mpphub sandbox: {exc}", file=sys.stderr)
        return 1
    sql_secrets: dict[str, str] = {}
    if not args.no_sql:
        from sandbox.world import start_sql_systems

        for sql in start_sql_systems(stack, [*packages, *adopted], args.seed, print, args.officer_interval):
            sql_secrets.update(sql.secrets)
            where = sql.url.split("@")[-1]
            print(f"SQL ({sql.dialect:<10})  {where}   {len(sql.packages)} packages' tables (dropped at Ctrl-C)")
    rest = [p for p in packages if http_style(p) is not None]  # every package a simulated HTTP system serves
    overrides = {p["local_system"]["base_url"]: servers[str(http_style(p))].url for p in rest}
    for (region, style), group in regional.items():
        overrides.update({p["local_system"]["base_url"]: servers[f"{region} {style}"].url for p in group})
        rest += group
    print(f"national layer     {servers['national'].url}   bearer {NATIONAL_TOKEN}")
    print(f"REST (Indonesian)  {servers['indonesian'].url}   bearer {LOCAL_TOKEN}")
    print(
        f"REST (cursor/Link) {servers['cursor'].url}   basic {LOCAL_USERNAME}:{LOCAL_PASSWORD}, X-API-Key {LOCAL_API_KEY}"
    )
    print(f"REST (PHP forms)    {servers['form'].url}   ?api_key={LOCAL_API_KEY}, answers 200 + status envelope")
    for style in FACTORIES:
        if style not in ("indonesian", "cursor", "form"):
            given = ", ".join(f"{k} {v}" for k, v in factory_kwargs(style).items())
            print(f"{style.upper():<18} {servers[style].url}   {given}")
    for (region, style), group in regional.items():
        ids = ", ".join(p["id"].split("/", 1)[1] for p in group)
        print(f"REST {region:<13} {servers[f'{region} {style}'].url}   {style} style, {region}'s own system: {ids}")
    print(
        "truth: GET <url>/_sandbox/truth   faults: PUT <url>/_sandbox/faults   officers: POST <url>/_sandbox/officers/step"
    )
    print("\nto sync against it, run in another terminal:")
    env = {
        # the sandbox's systems live on loopback, which the hub refuses unless told so (connectors/url_policy.py)
        "MPPHUB_ALLOW_LOOPBACK": "1",
        "MPPHUB_NATIONAL_URL": servers["national"].url,
        "MPPHUB_NATIONAL_TOKEN": NATIONAL_TOKEN,
        "MPPHUB_BASE_URL_OVERRIDES": json.dumps(overrides),
    }
    env.update(secret_values(rest))
    env.update(sql_secrets)
    print("  " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " mpphub sync --once")
    if args.env_file:
        args.env_file.parent.mkdir(parents=True, exist_ok=True)
        args.env_file.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()), encoding="utf-8")
    if args.citizens_rate > 0:
        from sandbox.national.citizens import CitizenSimulator

        simulator = CitizenSimulator.to_url(servers["national"].url, registry_dir=args.registry, seed=args.seed)
        stop = threading.Event()
        citizens = threading.Thread(
            target=simulator.run, kwargs={"rate_per_second": args.citizens_rate, "stop": stop.is_set}, daemon=True
        )

        # stopped first (last-in first): its last application delivered before the national layer goes away
        def stop_citizens() -> None:
            stop.set()
            if citizens.ident is not None:  # started (a Ctrl-C may come between this callback and start())
                citizens.join(timeout=30)

        stack.callback(stop_citizens)
        citizens.start()
    print("\nserving; Ctrl-C stops", flush=True)
    while True:
        time.sleep(3600)
