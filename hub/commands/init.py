"""Write a valid starter package for a region's service.

Every value has a flag; on a terminal, values not given are asked for (Enter keeps the default).
The file goes to registry/packages/REGION/SLUG.json unless --out says otherwise; an existing file is
never overwritten without --force. The result is validated before it is written.
Ending the questions early writes nothing: end of input (Ctrl-D) exits 1, an interrupt (Ctrl-C) exits 130.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# flag name -> (StarterOptions field, prompt)
_PROMPTED = {
    "name_id": "Nama layanan (Bahasa Indonesia)",
    "name_en": "Service name (English)",
    "agency": "Perangkat daerah (OPD) pelaksana",
    "category": "Kategori",
    "sla_working_days": "SLA (hari kerja)",
    "fee_idr": "Tarif dalam rupiah (0 = gratis)",
    "kind": "Jenis konektor (rest/sql)",
    "base_url": "URL API sistem lokal (rest)",
    "contact_email": "Email kontak tim",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub init``."""
    parser.add_argument("region", metavar="REGION", help="Kemendagri code, e.g. 35.76")
    parser.add_argument("slug", metavar="SLUG", help="service slug, e.g. izin-reklame")
    parser.add_argument("--name-id", help="service name in Bahasa Indonesia")
    parser.add_argument("--name-en", help="service name in English")
    parser.add_argument("--agency", help="the OPD that processes the service")
    parser.add_argument("--category", help="category (see the schema's closed list)")
    parser.add_argument("--description", help="short description in Bahasa Indonesia")
    parser.add_argument("--legal-basis", help="the regulation the service rests on")
    parser.add_argument("--sla", dest="sla_working_days", type=int, help="SLA in working days")
    parser.add_argument("--fee", dest="fee_idr", type=int, help="fee in IDR; 0 = free (default)")
    parser.add_argument("--fee-legal-basis", help="the regulation that sets the fee")
    parser.add_argument("--kind", choices=["rest", "sql"], help="connector kind (default: rest)")
    parser.add_argument("--base-url", help="base URL of the local system's API (rest)")
    parser.add_argument("--secret-ref", help="name of the credential secret (default derived from region and slug)")
    parser.add_argument("--contact-email", help="the team's e-mail address")
    parser.add_argument("--contact-unit", help="the team responsible for the package")
    parser.add_argument("--out", type=Path, help="output file (default: registry/packages/REGION/SLUG.json)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--no-input", action="store_true", help="never prompt, even on a terminal")


def _ask(label: str, default: Any, convert: Callable[[str], Any]) -> Any:
    while True:
        answer = input(f"{label} [{default}]: ").strip()
        if not answer:
            return default
        try:
            return convert(answer)
        except ValueError:
            print("  please enter a whole number", file=sys.stderr)


def _cancelled(why: str) -> None:
    if sys.stdout.isatty():  # end the line the prompt left the cursor on
        print()
    print(f"mpphub init: cancelled ({why}), nothing written", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Build, validate and write the starter package."""
    from hub.output import print_problems
    from registry.regions import REGION_CODE, region_table
    from registry.schemas import categories
    from registry.starter import StarterOptions, starter_package
    from registry.validate import check_document

    if not REGION_CODE.match(args.region) or args.region not in region_table():
        near = region_table().suggest(args.region)
        hint = f"; did you mean {near.code} ({near.name})?" if near else ""
        print(f"mpphub init: unknown region '{args.region}'{hint}", file=sys.stderr)
        return 2
    if not _SLUG.match(args.slug) or len(args.slug) > 60:
        print(
            "mpphub init: SLUG must be lowercase letters, digits and single hyphens, e.g. izin-reklame", file=sys.stderr
        )
        return 2
    if args.category is not None and args.category not in categories():
        print(f"mpphub init: --category must be one of: {', '.join(categories())}", file=sys.stderr)
        return 2
    values = {f.name: getattr(args, f.name) for f in fields(StarterOptions) if getattr(args, f.name, None) is not None}
    opts = StarterOptions(
        region=args.region, slug=args.slug, **{k: v for k, v in values.items() if k not in ("region", "slug")}
    )
    if sys.stdin.isatty() and not args.no_input:
        try:
            for name, label in _PROMPTED.items():
                if name not in values:
                    current = getattr(opts, name)
                    setattr(opts, name, _ask(label, current, int if isinstance(current, int) else str))
        except EOFError:  # Ctrl-D: the user gave up on the questions
            _cancelled("end of input")
            return 1
        except KeyboardInterrupt:  # Ctrl-C
            _cancelled("interrupted")
            return 130
    out: Path = args.out or Path("registry") / "packages" / args.region / f"{args.slug}.json"
    if out.exists() and not args.force:
        print(f"mpphub init: {out} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    doc = starter_package(opts)
    problems = check_document(out, doc, str(out))
    if problems:
        print_problems(problems, "text", sys.stderr)
        print("mpphub init: the values given do not make a valid package; nothing was written", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}: edit it, then run 'mpphub validate {out}'")
    return 0
