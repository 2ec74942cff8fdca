"""Move a package that adopts a template to a newer template version, and bump its own version.

    mpphub upgrade registry/packages/35.78/izin-penelitian.json [--to 1.1.0]

PACKAGE is the working copy's file, or a package id (REGISTRY/packages/<region>/<slug>.json). The
package is composed with its current and its new template version; what changes for this region is
printed as `mpphub diff` prints it (level, path, reason), and the package's version is bumped by that
much (from its latest published version). The overlay is rewritten only when the composed package is
valid on the new version (a new lock the overlay breaks is printed instead). Exit 0 when upgraded (or
with --dry-run, when it would be), 1 when the new version leaves problems, 2 on a usage error (no such
file, no template, nothing newer).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub upgrade``."""
    parser.add_argument("package", metavar="PACKAGE", help="the package file, or its id (e.g. 35.78/izin-penelitian)")
    parser.add_argument("--to", metavar="VERSION", help="template version to move to (default: the latest published)")
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")


def package_file(package: str, registry: Path) -> Path:
    """The working copy named by a path or a package id."""
    path = Path(package)
    if path.suffix == ".json" or path.exists():
        return path
    region, _, slug = package.partition("/")
    return registry / "packages" / region / f"{slug}.json"


def run(args: argparse.Namespace) -> int:
    """Upgrade, print the changes, return the exit code."""
    from hub.output import print_problems
    from registry.adoption import AdoptionError, plan_upgrade

    path = package_file(args.package, args.registry)
    if not path.is_file():
        print(f"mpphub upgrade: {path}: no such package file", file=sys.stderr)
        return 2
    try:
        plan = plan_upgrade(path, args.registry, args.to)
    except (AdoptionError, ValueError) as exc:
        print(f"mpphub upgrade: {exc}", file=sys.stderr)
        return 2
    for level, where, reason in plan.changes:
        print(f"{level:<6} {where}: {reason}")
    if plan.problems:
        print_problems(plan.problems, "text")
        print(f"{path}: not upgraded: {plan.new_ref} leaves the problems above (fix the overlay, then upgrade)")
        return 1
    verb = "would move" if args.dry_run else "moved"
    print(
        f"{path}: {verb} {plan.old_ref} -> {plan.new_ref}; change for this region: {plan.level}; "
        f"version {plan.old_version} -> {plan.new_version}"
    )
    if not args.dry_run:
        path.write_text(plan.text(), encoding="utf-8")
        print("next: `mpphub validate` it, then `mpphub publish` it")
    return 0
