"""Run the sync flows: catalogue push, outbound delivery, walk-in registration, inbound status.

--once (default) runs one cycle and prints a per-region summary; --watch repeats every --interval
seconds until Ctrl-C. Settings come from MPPHUB_* environment variables (docs/operations.md, "Settings").
Exit 0 when every service synced, 1 when any service stopped with a fatal error (or the ledger failed), 2 on
a usage error, 3 when no service stopped but some service is stuck — a queue held by the same item after
3 attempts (hub/health/stuck.py); the summary lists each stuck service with the item and its last error
(NIK and phone masked). A fatal error outranks a stuck queue: 1 wins. --watch prints the same each cycle
and runs on until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from typing import Any

FLOW_CHOICES = ["catalogue", "outbound", "walk_in", "inbound"]
EXIT_OK, EXIT_FATAL, EXIT_USAGE, EXIT_STUCK = 0, 1, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub sync``."""
    parser.add_argument("--region", help="only this region (a province includes its regencies/cities)")
    parser.add_argument("--service", help="only this service id, e.g. 35.76/akta-kelahiran")
    parser.add_argument(
        "--flow", action="append", choices=FLOW_CHOICES, help="only these flows (repeatable; default all)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one cycle, then exit (default)")
    mode.add_argument("--watch", action="store_true", help="repeat until Ctrl-C")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between --watch cycles (default 30)")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="summary format")
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="services side by side in this worker (default: MPPHUB_SYNC_CONCURRENCY, else 1); at most "
        "MPPHUB_SYNC_PER_HOST (default 2) on one local host",
    )


def summarise(results: list[Any]) -> dict[str, dict[str, int]]:
    """Per-region totals of a cycle."""
    regions: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        counts = regions[result.region]
        counts["services"] += 1
        counts["fatal"] += 1 if result.fatal else 0
        for key in (
            "pull.pulled",
            "deliver.delivered",
            "deliver.acknowledged",
            "deliver.dead",
            "walk_in.registered",
            "status_pull.stored",
            "status_pull.quarantined",
            "push.pushed",
            "push.rejected",
            "push.dead",
        ):
            counts[key] += result.counts.get(key, 0)
    return {region: dict(counts) for region, counts in sorted(regions.items())}


def outcome(results: list[Any], stuck: dict[str, Any]) -> int:
    """The exit code of a cycle: 1 when a service stopped with a fatal error, else 3 when one is stuck, else 0."""
    if any(r.fatal for r in results):
        return EXIT_FATAL
    return EXIT_STUCK if stuck else EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Run one cycle or watch."""
    from sqlalchemy.exc import SQLAlchemyError

    from connectors.ledger.errors import describe_ledger_error
    from connectors.sync.engine import FLOWS, SyncEngine
    from hub.commands._ledger import clock_of
    from hub.health.stuck import stuck_services
    from hub.output import ProgressLine, reader_gone
    from hub.settings import Settings
    from hub.wiring import build_context

    settings = Settings.from_env()
    refused = settings.production_problems()
    if refused:
        for problem in refused:
            print(f"mpphub sync: {problem}", file=sys.stderr)
        return 2
    try:
        ctx = build_context(settings, clock=clock_of(args))
    except SQLAlchemyError as exc:
        print(f"mpphub sync: {describe_ledger_error(exc)}", file=sys.stderr)
        return 1
    known = ctx.packages.service_ids(args.region, args.service)
    if not known:
        print("mpphub sync: no published service matches --region/--service", file=sys.stderr)
        return 2
    if args.concurrency is not None:
        if not 1 <= args.concurrency <= 64:
            print("mpphub sync: --concurrency must be from 1 to 64", file=sys.stderr)
            return 2
        ctx.concurrency = args.concurrency
    engine = SyncEngine(ctx, settings.worker)
    flows = args.flow or list(FLOWS)
    progress = ProgressLine("syncing", min_total=1)
    exit_code = 0
    try:
        while True:
            try:
                results = engine.run_once(args.region, args.service, flows, progress=lambda i, n, r: progress(i, n))
            except SQLAlchemyError as exc:
                # every ledger write is one transaction: what failed left nothing half-done, and the next
                # cycle (pool_pre_ping reconnects) resumes from the stored cursors
                print(f"mpphub sync: {describe_ledger_error(exc)}", file=sys.stderr)
                if not args.watch:
                    return 1
                time.sleep(args.interval)
                continue
            # read after the cycle from the ledger, for the services it ran: a delivery that failed again is
            # rescheduled inside an "ok" run, so only the queue itself shows that nothing moves
            stuck = stuck_services(ctx.ledger.engine, service_ids=[r.service_id for r in results])
            exit_code = outcome(results, stuck)
            _report(results, args.format, stuck)
            if not args.watch:
                return exit_code
            # each cycle's report reaches its reader now; a reader that went away (`| head`) ends the watch
            # with this cycle's exit code, instead of cycles running on with nobody to read them
            if reader_gone():
                return exit_code
            time.sleep(args.interval)
    finally:
        ctx.close()  # its connectors' pools and sessions, then the ledger


def _report(results: list[Any], fmt: str, stuck: dict[str, Any] | None = None) -> None:
    summary = summarise(results)
    skipped = _skipped(results)
    stuck = stuck or {}
    for region, counts in summary.items():
        counts["stuck"] = sum(1 for s in stuck.values() if s.region == region)
    if fmt == "json":
        print(
            json.dumps(
                {
                    "regions": summary,
                    "fatal": {r.service_id: r.fatal for r in results if r.fatal},
                    "stuck": {service: s.as_dict() for service, s in sorted(stuck.items())},
                    "skipped": skipped,
                },
                ensure_ascii=False,
            )
        )
        return
    header = f"{'region':<8}{'services':>9}{'pulled':>8}{'delivered':>10}{'acked':>7}{'walk-ins':>9}{'events':>8}{'pushed':>8}{'quarant.':>9}{'dead':>6}{'fatal':>6}{'stuck':>6}"
    print(header)
    for region, c in summary.items():
        dead = c.get("deliver.dead", 0) + c.get("push.dead", 0) + c.get("push.rejected", 0)
        print(
            f"{region:<8}{c['services']:>9}{c.get('pull.pulled', 0):>8}{c.get('deliver.delivered', 0):>10}"
            f"{c.get('deliver.acknowledged', 0):>7}{c.get('walk_in.registered', 0):>9}{c.get('status_pull.stored', 0):>8}"
            f"{c.get('push.pushed', 0):>8}{c.get('status_pull.quarantined', 0):>9}{dead:>6}{c['fatal']:>6}{c['stuck']:>6}"
        )
    for result in results:
        if result.fatal:
            print(f"  {result.service_id}: stopped: {result.fatal}")
    for service, entry in sorted(stuck.items()):
        print(f"  {service}: {entry.reason}")  # masked by Stuck.reason
    for entry in skipped:
        if entry["reason"] == "lease_lost":
            why = "another worker took it over while it ran; this worker stopped it"
        elif entry["holder"]:
            why = f"held by worker {entry['holder']} until {entry['until']}"
        else:
            why = "held by another worker"
        print(f"  {entry['service']} {entry['flow']}: skipped: {why}")


def _skipped(results: list[Any]) -> list[dict[str, Any]]:
    """Flows this cycle did not run (another worker holds their lease) or stopped (the lease was lost)."""
    rows: list[dict[str, Any]] = []
    for result in results:
        for flow in result.skipped:
            holder = result.held_by.get(flow)
            rows.append(
                {
                    "service": result.service_id,
                    "flow": flow,
                    "reason": "held",
                    "holder": holder[0] if holder else None,
                    "until": holder[1].isoformat(timespec="seconds") if holder else None,
                }
            )
        for flow in result.lost:
            rows.append(
                {"service": result.service_id, "flow": flow, "reason": "lease_lost", "holder": None, "until": None}
            )
    return rows
