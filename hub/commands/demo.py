"""Run the embedded demo: sandbox national layer and local systems, the sample registry published to the
catalogue, simulated citizens and officers, sync cycles, then a per-region summary with duplicates and
losses counted against the sandboxes' truth (both must be 0: exit 1 otherwise). From a terminal it then
prints the dashboard's URL (with a fresh coordinator token) and keeps serving until Ctrl-C (which stops
everything, says "stopped" and exits 130); without a terminal (CI, pipes) it exits after the summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub demo``."""
    parser.add_argument("--registry", type=Path, default=Path("registry"), help="registry folder (default: registry)")
    parser.add_argument(
        "--citizens", type=int, default=60, help="applications submitted by simulated citizens (default 60)"
    )
    parser.add_argument("--cycles", type=int, default=5, help="sync cycles (default 5)")
    parser.add_argument(
        "--serve",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after the summary, serve the dashboard until Ctrl-C (default: only when run from a terminal)",
    )
    parser.add_argument("--port", type=int, default=8780, help="dashboard port (default 8780; a free one if busy)")


def run(args: argparse.Namespace) -> int:
    """Run the demo; exit 1 if anything was duplicated or lost, 130 when ended by Ctrl-C."""
    from hub.commands.sandbox import INTERRUPTED

    try:
        from hub.demo import DashboardOptions, run_demo

        serve = sys.stdout.isatty() if args.serve is None else args.serve
        dashboard = DashboardOptions(port=args.port) if serve else None
        summary = run_demo(args.registry, citizens=args.citizens, cycles=args.cycles, dashboard=dashboard)
    except KeyboardInterrupt:  # how the serving dashboard ends (or an impatient reader): all stopped by now
        print("\nstopped", flush=True)
        return INTERRUPTED
    bad = sum(c.get("duplicated", 0) + c.get("events_duplicated", 0) + c.get("lost", 0) for c in summary.values())
    return 1 if bad else 0
