"""Dry-run a package against a region's local system before publishing it, step by step.

Read-only by default: validates the package, checks the host policy (MPPHUB_ALLOWED_HOSTS, else the
secure default: a local system on this machine needs MPPHUB_ALLOW_LOOPBACK=1) and the credentials
(environment variables named by the package's secret references), reads the first page of the status
feed (and of the walk-in feed), checks that its times read with the package's date_format and zone and
that each cursor survives ISO 8601 and back, reads with a wrong credential to see the refusal classified
(never read as success), looks up an application that cannot exist, and shows the submit request of a
test application as the connector encodes it (field names and Content-Type, no values) without sending
it. --write also submits that ONE test application (made-up data, national id CHECK-...) and looks it up
again. Every step prints what it tried and what it found (docs/local-systems.md, "Checking a package").
For a rest package, --local-url is the base URL of the local API (instead of the package's base_url);
for a sql package, it is the database URL. Exit 0 when no step failed, 1 when one did, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

MARKS = {"ok": "ok  ", "failed": "FAIL", "skipped": "skip", "warning": "warn"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub check``."""
    parser.add_argument("package", type=Path, help="the package file, e.g. registry/packages/35.76/izin-reklame.json")
    parser.add_argument(
        "--local-url", required=True, help="base URL of the local API (rest) or database URL (sql) to check against"
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="also submit the test application (synthetic data) that submit encoding shows",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the test data (default: random)")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="report format")


def run(args: argparse.Namespace) -> int:
    """Run the check and print each step."""
    from connectors.secrets import EnvSecrets
    from hub.checking import PackageCheck
    from hub.settings import Settings

    settings = Settings.from_env()
    report = PackageCheck(
        args.package, args.local_url, EnvSecrets(), settings.allowed_hosts, write=args.write, seed=args.seed
    ).run()
    if args.format == "json":
        steps = [step.__dict__ for step in report.steps]
        print(json.dumps({"package": report.package_id, "ok": report.ok, "steps": steps}, ensure_ascii=False))
    else:
        print(f"checking {report.package_id or args.package} against {args.local_url}")
        for step in report.steps:
            print(f"  [{MARKS[step.outcome]}] {step.name}: {step.detail}")
        print("all steps passed" if report.ok else "some steps failed: fix them before publishing")
    return 0 if report.ok else 1
