"""Onboard a whole region in one go: an overlay adopting each of many templates.

    mpphub onboard 35.78 --templates all --set contact.email=dpmptsp@surabaya.go.id

--templates all adopts every service template of the registry; --templates FILE reads template ids from
FILE, one per line (`#` comments and blank lines skipped; `ID VERSION` pins a version). Each overlay is
written to REGISTRY/packages/REGION/<slug>.json; existing files are left alone and listed. --set values
(as in `mpphub adopt`) go into every overlay, e.g. the region's contact. Then every value the team still
has to supply is listed, file by file. Exit 0 when every overlay is complete, 1 when values are still to
supply, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub onboard``."""
    parser.add_argument("region", metavar="REGION", help="Kemendagri code of the region, e.g. 35.78")
    parser.add_argument("--templates", required=True, metavar="FILE|all", help="'all', or a file of template ids")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="a value for every overlay")
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be written and missing; write nothing")


def read_template_list(text: str) -> list[tuple[str, str | None]]:
    """(id, version or None) per non-blank, non-comment line."""
    wanted = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            parts = line.split()
            wanted.append((parts[0], parts[1] if len(parts) > 1 else None))
    return wanted


def run(args: argparse.Namespace) -> int:
    """Write the overlays, list what is missing, return the exit code."""
    from hub.commands.adopt import parse_sets
    from hub.output import plural, print_problems
    from registry.adoption import AdoptionError, plan_adoption, service_templates

    try:
        values = parse_sets(args.set)
        if args.templates == "all":
            wanted: list[tuple[str, str | None]] = [(t, None) for t in service_templates(args.registry)]
        else:
            wanted = read_template_list(Path(args.templates).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"mpphub onboard: {exc}", file=sys.stderr)
        return 2
    if not wanted:
        print(f"mpphub onboard: no templates to adopt ({args.templates})", file=sys.stderr)
        return 2
    written = skipped = 0
    missing = []
    for template_id, version in wanted:
        try:
            plan = plan_adoption(args.registry, template_id, args.region, version=version, values=values)
        except AdoptionError as exc:
            print(f"mpphub onboard: {exc}", file=sys.stderr)
            return 2
        if plan.path.exists():
            skipped += 1
            print(f"{plan.path}: exists, left alone")
            continue
        if not args.dry_run:
            plan.path.parent.mkdir(parents=True, exist_ok=True)
            plan.path.write_text(plan.text(), encoding="utf-8")
        written += 1
        missing.extend(plan.to_supply)
    verb = "would write" if args.dry_run else "wrote"
    print(f"{args.region}: {verb} {plural(written, 'overlay')}, {skipped} left alone")
    if missing:
        print_problems(missing, "text")
        files = len({p.file for p in missing})
        print(f"{plural(len(missing), 'value')} still to supply in {plural(files, 'file')}")
        return 1
    return 0
