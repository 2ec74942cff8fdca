"""Compare what the hub and the national layer hold, per (region, service, day): counts and checksums.

The safety net for anything a cursor missed. For each region with published services (or only --region;
a province includes its regencies/cities), the hub's ledger view of the days --from..--to (UTC days of
submission; default the last 7 days up to today) is compared with the national layer's reconciliation
report. Drift is printed as one line per (service, day); exit 0 when both sides agree, 1 when any drift
(or an unreachable national layer) is found, 2 on a usage error. Settings come from MPPHUB_* variables.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

MAX_DAYS = 366  # the national report is per day: a longer window is a typo, not a wish


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub reconcile``."""
    parser.add_argument("--region", help="only this region (a province includes its regencies/cities)")
    parser.add_argument("--from", dest="first", type=_day, help="first day, YYYY-MM-DD (default: 6 days ago)")
    parser.add_argument("--to", dest="last", type=_day, help="last day, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="report format")


def run(args: argparse.Namespace) -> int:
    """Reconcile every selected region and report the drift."""
    from connectors.errors import ConnectorError
    from connectors.sync.reconcile import reconcile
    from hub.commands._ledger import clock_of
    from hub.output import ProgressLine, plural
    from hub.settings import Settings
    from hub.wiring import build_context

    last = args.last or datetime.now(UTC).date()
    first = args.first or last - timedelta(days=6)
    if first > last:
        print(f"mpphub reconcile: --from {first} is after --to {last}", file=sys.stderr)
        return 2
    if (last - first).days >= MAX_DAYS:
        print(f"mpphub reconcile: at most {MAX_DAYS} days at once", file=sys.stderr)
        return 2
    ctx = build_context(Settings.from_env(), clock=clock_of(args))
    try:
        services = ctx.packages.service_ids(args.region)
        if not services:
            print("mpphub reconcile: no published service matches --region", file=sys.stderr)
            return 2
        regions = sorted({ctx.packages.index["packages"][s]["region"] for s in services})
        progress = ProgressLine("reconciling", min_total=20)
        report: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat(), "regions": {}, "errors": {}}
        for index, region in enumerate(regions, start=1):
            try:
                drifts = reconcile(ctx, region, first, last)
            except ConnectorError as exc:
                report["errors"][region] = str(exc)
            else:
                report["regions"][region] = [d.__dict__ | {"description": d.describe()} for d in drifts]
            progress(index, len(regions))
    finally:
        ctx.ledger.close()
    drifting = {region: rows for region, rows in report["regions"].items() if rows}
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False))
    else:
        for region, rows in drifting.items():
            for row in rows:
                print(f"{region:<8}{row['description']}")
        for region, error in report["errors"].items():
            print(f"{region:<8}could not reconcile: {error}")
        agreed = len(report["regions"]) - len(drifting)
        print(
            f"{plural(len(regions), 'region')} reconciled for {first}..{last}: {agreed} agree, "
            f"{len(drifting)} drifting ({sum(len(r) for r in drifting.values())} service-days), "
            f"{len(report['errors'])} unreachable"
        )
    return 1 if drifting or report["errors"] else 0
