"""Regions that need a coordinator: sync stalled (no successful run for --stall-minutes), failing (the
latest run of a flow ended in an error) or stuck (a queue held by the same item), backlog at or above --backlog, or open dead letters at or above
--dead-letters. With --webhook, the alerts are POSTed as JSON ({"generated_at", "alerts": [...]}).
Exit 0: no alert; 1: alerts; 2: the webhook failed, or there is no ledger to check (none was created yet:
run `mpphub sync` first or set MPPHUB_LEDGER_URL; or its database cannot be reached or read).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub alerts``."""
    parser.add_argument(
        "--stall-minutes", type=float, default=15.0, metavar="M", help="stalled after M minutes (default 15)"
    )
    parser.add_argument(
        "--backlog", type=int, default=500, metavar="N", help="alert at a backlog of N items (default 500)"
    )
    parser.add_argument(
        "--dead-letters", type=int, default=10, metavar="N", help="alert at N open dead letters (default 10)"
    )
    parser.add_argument("--webhook", metavar="URL", help="POST the alerts as JSON to this http(s) URL")
    parser.add_argument("--format", choices=["text", "json"], default="text")


def find_alerts(regions: list[dict[str, Any]], backlog: int, dead_letters: int) -> list[dict[str, Any]]:
    """The regions that cross a threshold, each with its reasons."""
    alerts = []
    for region in regions:
        reasons = []
        if region["state"] == "stalled":
            reasons.append(f"sync stalled: {region['reason']}")
        elif region["state"] == "failing":
            reasons.append(f"sync failing: {region['reason']}")
        elif region["state"] == "stuck":  # a queue held by the same item (hub/health/stuck.py)
            reasons.append(f"sync stuck: {region['reason']}")
        if region["backlog"] >= backlog:
            reasons.append(f"backlog {region['backlog']} >= {backlog}")
        if region["dead_letters"] >= dead_letters:
            reasons.append(f"{region['dead_letters']} open dead letters >= {dead_letters}")
        if reasons:
            alerts.append(
                {
                    "region": region["code"],
                    "name": region["name"],
                    "state": region["state"],
                    "reasons": reasons,
                    "last_success": region["last_success"],
                    "backlog": region["backlog"],
                    "dead_letters": region["dead_letters"],
                    "last_error": region["last_error"],
                }
            )
    return alerts


def run(args: argparse.Namespace) -> int:
    """Print (and send) the alerts."""
    import requests

    from hub.commands._ledger import EXIT_NO_LEDGER, NoLedger, clock_of, read_ledger
    from hub.health.view import current_report, national_document
    from hub.settings import Settings

    if args.webhook and not args.webhook.startswith(("http://", "https://")):
        print("mpphub alerts: --webhook must be an http:// or https:// URL", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    try:
        report = read_ledger(
            settings, lambda ledger: current_report(ledger, settings, args.stall_minutes), clock_of(args)
        )
    except NoLedger as exc:
        print(f"mpphub alerts: {exc}", file=sys.stderr)
        return EXIT_NO_LEDGER
    document = national_document(report)
    alerts = find_alerts(document["regions"], args.backlog, args.dead_letters)
    if args.format == "json":
        print(json.dumps(alerts, ensure_ascii=False))
    else:
        for alert in alerts:
            print(f"{alert['region']} {alert['name']}: {'; '.join(alert['reasons'])}")
        print(f"{len(alerts)} region(s) alerting")
    if args.webhook and alerts:
        try:
            response = requests.post(
                args.webhook, json={"generated_at": document["generated_at"], "alerts": alerts}, timeout=10
            )
            response.raise_for_status()
        except requests.RequestException as exc:
            print(f"mpphub alerts: the webhook failed: {type(exc).__name__}", file=sys.stderr)
            return 2
    return 1 if alerts else 0
