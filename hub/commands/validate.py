"""Check service package files and folders.

Every problem of every file is printed as `file::$.json.path: message`, then a summary line.
Folders are searched for *.json packages (index.json and published/ copies are skipped).
Endpoints are also checked against the host policy: the allowed hosts (MPPHUB_ALLOWED_HOSTS) when set,
else the secure default (public hosts only; loopback with MPPHUB_ALLOW_LOOPBACK=1).
Exit 0 when all files are valid, 1 when any problem was found, 2 on a usage error.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from hub.output import ProgressLine, print_problems

if TYPE_CHECKING:  # `mpphub validate FILE` runs without importing argparse (see hub/cli.py)
    import argparse

    from registry.validate import Report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub validate``."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="package files or folders to check")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    parser.add_argument(
        "--against-previous",
        action="store_true",
        help="also check each package's version bump against its latest published version in the registry",
    )
    parser.add_argument(
        "--registry", default="registry", metavar="DIR", help="registry folder with index.json (default: registry)"
    )
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: one per core)")


def run(args: argparse.Namespace) -> int:
    """Validate, print, and return the exit code."""
    from pathlib import Path

    from registry.discovery import PathError, discover
    from registry.validate import validate_files

    try:
        files = discover(args.paths)
    except PathError as exc:
        print(f"mpphub validate: {exc}", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("mpphub validate: --jobs must be at least 1", file=sys.stderr)
        return 2
    previous = Path(args.registry) if args.against_previous else None
    if previous is not None and not (previous / "index.json").is_file():
        print(f"mpphub validate: --against-previous needs {previous}/index.json (see --registry)", file=sys.stderr)
        return 2
    report = validate_files(files, jobs=args.jobs, progress=ProgressLine("validating"), registry=previous)
    _check_allowed_hosts(report, os.environ.get("MPPHUB_ALLOWED_HOSTS", ""))
    problems = report.problems
    print_problems(problems, args.format)
    if args.format == "text":
        from hub.messages import count, t

        _note_placeholders(report)
        if problems:
            problem_count, file_count = count(len(problems), "problem"), count(len(files), "file")
            print(t("validate.problems", problems=problem_count, bad=report.files_with_problems, files=file_count))
        else:
            print(t("validate.all_valid", files=count(len(files), "file")))
    return 1 if problems else 0


def _note_placeholders(report: Report) -> None:
    """A draft may keep the starter's placeholders (valid), but publish refuses them: say so now, before
    the summary line (which stays the last). Only files whose bytes hold a placeholder text are parsed."""
    from pathlib import Path

    from hub.messages import count, t
    from registry.placeholders import find_placeholders, raw_may_hold_placeholders

    holding: list[str] = []
    found = 0
    for file_report in report.files:
        if any(p.rule == "file" for p in file_report.problems):
            continue  # unreadable (a FIFO, too large, not JSON): already said, and never opened again
        try:
            raw = Path(file_report.file).read_bytes()
        except OSError:
            continue
        if not raw_may_hold_placeholders(raw):
            continue
        import json

        try:
            placeholders = find_placeholders(json.loads(raw))
        except ValueError:
            continue
        if placeholders:
            holding.append(file_report.file)
            found += len(placeholders)
    if holding:
        names = ", ".join(holding[:5]) + (", ..." if len(holding) > 5 else "")
        print(
            t(
                "validate.placeholder_note",
                files=count(len(holding), "file"),
                count=count(found, "placeholder"),
                names=names,
            )
        )


def _check_allowed_hosts(report: Report, allowed: str) -> None:
    """Refuse endpoints this hub would refuse to call (MPPHUB_ALLOWED_HOSTS, or without it the secure
    default), now rather than at the first sync (the same check publish applies: ``hub.host_checks``)."""
    import json
    from pathlib import Path

    from hub.host_checks import endpoint_problems

    for file_report in report.files:
        if any(p.rule == "file" for p in file_report.problems):
            continue  # unreadable: already said
        try:
            doc = json.loads(Path(file_report.file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        file_report.problems.extend(endpoint_problems(file_report.file, doc, allowed))
