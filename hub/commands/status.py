"""Health of the regions' sync from the ledger: state, last success, lag, backlog, failures in 24 h,
dead letters, SLA breaches (working days) and the reason — the facts the API and the dashboard show.

States: live (synced within --stall-minutes), onboarding (published, never synced), failing (the latest
run of a flow ended in an error), stalled (no successful run within --stall-minutes), stuck (a queue held
by the same item: its head application or status event tried 3 times and not through, even if every run
ended "ok"; the reason names the item, its attempts and its last error, NIK and phone masked).
--templates shows standardisation instead (hub/commands/status_templates.py): per template, regions
adopting it, by version, how many behind the latest, the most divergent packages; read from the
registry's index (--registry, default MPPHUB_REGISTRY or registry), no ledger needed.
Exit 0: the status was printed; 2: unknown region, or no ledger to report from (none was created yet: run
`mpphub sync` first or set MPPHUB_LEDGER_URL; or its database cannot be reached or read).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub status``."""
    parser.add_argument("--region", metavar="CODE", help="one region and its services (e.g. 35.76)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--stall-minutes", type=float, default=15.0, metavar="M", help="stalled after M minutes (default 15)"
    )
    parser.add_argument(
        "--templates",
        action="store_true",
        help="standardisation per template: adopting regions, versions, behind latest, most divergent packages",
    )
    parser.add_argument("--registry", type=Path, metavar="DIR", help="registry folder for --templates")


def run(args: argparse.Namespace) -> int:
    """Print the status; exit 2 for an unknown region or when there is no ledger to report from."""
    from hub.commands._ledger import EXIT_NO_LEDGER, NoLedger, clock_of, read_ledger
    from hub.health.view import (
        current_report,
        duration,
        national_backlog_text,
        national_document,
        region_document,
        table,
    )
    from hub.settings import Settings

    settings = Settings.from_env()
    if args.templates:
        return _templates(args, settings.registry)
    try:
        report, leases = read_ledger(
            settings,
            lambda ledger: (current_report(ledger, settings, args.stall_minutes), ledger.stale_leases()),
            clock_of(args),
        )
    except NoLedger as exc:
        print(f"mpphub status: {exc}", file=sys.stderr)
        return EXIT_NO_LEDGER
    stale = _stale_leases(leases, args.region)
    if args.region:
        page = region_document(report, args.region)
        if page is None:
            print(f"mpphub status: no published service in region {args.region!r}")
            return 2
        if args.format == "json":
            print(json.dumps({**page, "stale_leases": stale}, ensure_ascii=False))
            return 0
        print(f"{page['code']} {page['name']} ({page['province_name']}): {page['state']} - {page['reason']}")
        print(f"backlog {page['backlog']}: {national_backlog_text(page['national_backlog'])}")
        rows = [
            [
                s["service_id"],
                s["state"],
                s["last_success"] or "never",
                duration(s["lag_seconds"]),
                str(s["backlog"]),
                str(s["failures"]),
                str(s["dead_letters"]),
                str(s["sla_breaches"]),
                # a stuck row's reason names the item and its attempts besides the error
                s["reason"]
                if s["state"] == "stuck"
                else s["last_error"] or (s["reason"] if s["state"] != "live" else ""),
            ]
            for s in page["services"]
        ]
        print(table(rows, ["SERVICE", "STATE", "LAST SUCCESS", "LAG", "BACKLOG", "FAIL24H", "DEAD", "SLA", "REASON"]))
        _print_stale(stale)
        return 0
    document = national_document(report)
    if args.format == "json":
        print(json.dumps({**document, "stale_leases": stale}, ensure_ascii=False))
        return 0
    rows = [
        [
            r["code"],
            r["name"][:28],
            r["state"],
            str(r["services"]),
            r["last_success"] or "never",
            duration(r["lag_seconds"]),
            str(r["backlog"]),
            str(r["failures"]),
            str(r["dead_letters"]),
            str(r["sla_breaches"]),
            r["reason"] if r["state"] != "live" else "",
        ]
        for r in document["regions"]
    ]
    header = ["REGION", "NAME", "STATE", "SVC", "LAST SUCCESS", "LAG", "BACKLOG", "FAIL24H", "DEAD", "SLA", "REASON"]
    print(table(rows, header))
    t = document["totals"]
    print(
        f"{t['regions']} regions: {t['live']} live, {t['onboarding']} onboarding, {t['failing']} failing, "
        f"{t['stalled']} stalled, {t['stuck']} stuck; {t['services']} services, {t['applications']} applications, "
        f"{t['backlog']} waiting ({national_backlog_text(t['national_backlog'])}), {t['dead_letters']} dead"
        f" letters, {t['sla_breaches']} SLA breaches ({t['sla_closed_late']} closed late in the last 30 days)"
    )
    _print_stale(stale)
    return 0


def _templates(args: argparse.Namespace, registry: Path) -> int:
    """``--templates``: print standardisation (region-scoped with --region); 2 for an unknown region or an
    unreadable index."""
    from hub.commands.status_templates import print_templates, templates_document
    from registry.regions import region_table

    if args.region and args.region not in region_table():
        print(f"mpphub status: unknown region {args.region!r}", file=sys.stderr)
        return 2
    try:
        document = templates_document(args.registry or registry, args.region)
    except (OSError, ValueError) as exc:
        print(f"mpphub status: cannot read the registry's index: {exc}", file=sys.stderr)
        return 2
    print_templates(document, args.format)
    return 0


def _stale_leases(leases: list[dict[str, Any]], region: str | None) -> list[dict[str, Any]]:
    """Leases whose worker stopped heartbeating (of one region's services when ``region`` is given)."""
    rows = []
    for lease in leases:
        flow, _, service = str(lease["stream"]).partition(":")
        if region and not service.startswith(f"{region}/") and not service.startswith(f"{region}."):
            continue
        rows.append(
            {
                "service": service,
                "flow": flow,
                "owner": lease["owner"],
                "last_heartbeat": lease["heartbeat_at"].isoformat(timespec="seconds")
                if lease["heartbeat_at"]
                else None,
                "expired_at": lease["until"].isoformat(timespec="seconds") if lease["until"] else None,
            }
        )
    return rows


def _print_stale(stale: list[dict[str, Any]]) -> None:
    if not stale:
        return
    print(f"{len(stale)} stream(s) held by a worker that stopped heartbeating (any worker takes them over):")
    for lease in stale:
        print(
            f"  {lease['service']} {lease['flow']}: worker {lease['owner']}, last heartbeat "
            f"{lease['last_heartbeat'] or 'never'}, lease expired {lease['expired_at']}"
        )
