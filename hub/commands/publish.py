"""Add a validated package or template to the registry as an immutable version and update registry/index.json.

A package that extends a template is published composed (the frozen whole, with its template lineage in
the index); a template goes to published/templates/ (docs/templates.md). Re-publishing a version with identical bytes changes nothing; with other content it is refused. A new
version must be above the latest and bumped at least as much as the change needs (see `mpphub diff`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub publish``."""
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="package or template files to publish")
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )


def run(args: argparse.Namespace) -> int:
    """Publish each file; exit 1 if any was refused."""
    from hub.host_checks import publish_check
    from hub.output import print_problems
    from registry.publish import publish

    refused = 0
    ledger = None
    for file in args.files:
        result = publish(file, args.registry, extra_check=publish_check())
        if result.outcome == "refused":
            refused += 1
            print_problems(result.problems, "text")
            print(f"{file}: refused, nothing was published")
        elif result.outcome == "unchanged":
            print(f"{result.package_id} {result.version}: already published with identical content")
        else:
            ledger = ledger or _open_audit()
            seq = ledger.append_audit(
                _actor(),
                "publish",
                f"{result.package_id}@{result.version}",
                {"version": result.version, "sha256": result.sha256, "via": "cli"},
            )
            print(f"{result.package_id} {result.version}: published (sha256 {result.sha256}; audit #{seq})")
    if ledger is not None:
        ledger.close()
    return 1 if refused else 0


def _open_audit() -> Any:
    """The ledger that holds the audit log (MPPHUB_LEDGER_URL)."""
    from hub.commands._ledger import open_ledger

    return open_ledger()


def _actor() -> str:
    """``cli:<login>``: who published, as far as this machine knows."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"
