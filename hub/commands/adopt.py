"""Adopt a template for a region: write the region's minimal overlay and list what it must still supply.

    mpphub adopt nasional/izin-penelitian 35.78 --set service.agency="Bakesbangpol Kota Surabaya"

The overlay goes to REGISTRY/packages/REGION/SLUG.json (the template's slug unless --slug); an existing
file is never overwritten without --force. The overlay is composed with its template (and --profile)
and validated: each value still to supply is printed as `file::$.path: message`. --set PATH=VALUE puts a
value in the overlay (VALUE is read as JSON when it parses, else as text), e.g. --set
local_system.base_url=https://... or --set service.sla_working_days=3.
On a terminal (stdin a TTY, no --no-input), each value still to supply is asked for first, each answer
checked as it is given (hub/commands/adopt_questions.py); ending the questions early writes nothing (end
of input exits 1, an interrupt 130). Not on a terminal, nothing is asked.
Exit 0 when the overlay is complete and valid, 1 when values are still to supply (the overlay is written
all the same: fill it in, then `mpphub validate` it), 2 on a usage error (unknown template or region, a
file in the way).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub adopt``."""
    parser.add_argument("template", metavar="TEMPLATE", help="template id, e.g. nasional/izin-penelitian")
    parser.add_argument("region", metavar="REGION", help="Kemendagri code of the adopting region, e.g. 35.78")
    parser.add_argument(
        "--version", dest="template_version", metavar="V", help="template version (default: latest published)"
    )
    parser.add_argument("--profile", metavar="P", help="a connector profile for the local system, e.g. nasional/sipena")
    parser.add_argument("--profile-version", metavar="V", help="connector profile version (default: latest published)")
    parser.add_argument("--slug", help="the package's slug (default: the template's)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="PATH=VALUE", help="a value for the overlay (repeatable)"
    )
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing package file")
    parser.add_argument("--dry-run", action="store_true", help="print the overlay instead of writing it")
    parser.add_argument("--no-input", action="store_true", help="never ask for missing values, even on a terminal")


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    """``PATH=VALUE`` pairs as a dict; VALUE as JSON when it parses (numbers, lists, objects), else text."""
    values: dict[str, Any] = {}
    for pair in pairs:
        path, sep, text = pair.partition("=")
        if not sep or not path.strip():
            raise ValueError(f'--set {pair!r}: expected PATH=VALUE, e.g. service.agency="Dinas ..."')
        try:
            values[path.strip()] = json.loads(text)
        except ValueError:
            values[path.strip()] = text
    return values


def run(args: argparse.Namespace) -> int:
    """Write the overlay, print what is missing, return the exit code."""
    from hub.output import plural, print_problems
    from hub.prompting import asked, at_a_terminal
    from registry.adoption import AdoptionError, plan_adoption

    try:
        values = parse_sets(args.set)
        plan = plan_adoption(
            args.registry,
            args.template,
            args.region,
            version=args.template_version,
            profile_id=args.profile,
            profile_version=args.profile_version,
            slug=args.slug,
            values=values,
        )
    except (AdoptionError, ValueError) as exc:
        print(f"mpphub adopt: {exc}", file=sys.stderr)
        return 2
    if plan.path.exists() and not args.force and not args.dry_run:  # said before any question
        print(f"mpphub adopt: {plan.path} exists (use --force to overwrite, or --slug)", file=sys.stderr)
        return 2
    if plan.to_supply and at_a_terminal(args.no_input):
        from hub.commands.adopt_questions import Answers, ask_missing, replanner

        answers = Answers(dict(values), args.profile)
        answered: list[Any] = []
        stopped = asked(lambda: answered.append(ask_missing(plan, answers, replanner(args))), "adopt.cancelled")
        if stopped is not None:
            return stopped
        plan = answered[0]
    if args.dry_run:
        sys.stdout.write(plan.text())
    else:
        plan.path.parent.mkdir(parents=True, exist_ok=True)
        plan.path.write_text(plan.text(), encoding="utf-8")
        lines = plan.text().count("\n")
        built = plan.template.ref + (f" + {plan.profile.ref}" if plan.profile else "")
        print(f"wrote {plan.path} ({plural(lines, 'line')}): {plan.package_id} adopting {built}")
    if plan.to_supply:
        print_problems(plan.to_supply, "text")
        print(f"{plural(len(plan.to_supply), 'value')} still to supply (edit the file, then `mpphub validate` it)")
        return 1
    print("complete: the composed package is valid")
    return 0
