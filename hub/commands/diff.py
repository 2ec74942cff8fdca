"""Classify the change between two versions of a package as patch, minor or major, with reasons.

Prints each change as `level  $.path: reason`, then the required version bump and whether NEW's
version provides it. Exit 0 when NEW's version bump covers the change, 1 when it does not, 2 on a
usage error (unreadable file, different packages).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub diff``."""
    parser.add_argument("old", type=Path, metavar="OLD", help="the earlier version's file")
    parser.add_argument("new", type=Path, metavar="NEW", help="the later version's file")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    """Diff, print, and return the exit code."""
    from registry.diff import diff_packages
    from registry.document import DocumentError, load_document
    from registry.semver import Version, bump_level, level_rank

    docs = []
    for path in (args.old, args.new):
        try:
            docs.append(load_document(path).data)
        except DocumentError as exc:
            print(f"mpphub diff: {path}: {exc}", file=sys.stderr)
            return 2
    old, new = docs
    if old.get("id") != new.get("id"):
        print(f"mpphub diff: these are different packages ({old.get('id')!r} and {new.get('id')!r})", file=sys.stderr)
        return 2
    result = diff_packages(old, new)
    try:
        done = bump_level(Version.parse(str(old.get("version"))), Version.parse(str(new.get("version"))))
    except ValueError as exc:
        print(f"mpphub diff: {exc}", file=sys.stderr)
        return 2
    enough = level_rank(done) >= level_rank(result.level)
    if args.format == "json":
        payload = {
            "level": result.level,
            "version_bump": done,
            "bump_sufficient": enough,
            "changes": [{"level": c.level, "path": c.path, "reason": c.reason} for c in result.changes],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for change in result.changes:
            print(f"{change.level:<6} {change.path}: {change.reason}")
        verdict = "enough" if enough else f"NOT enough: bump the {result.level} version"
        print(
            f"change: {result.level}; version {old.get('version')} -> {new.get('version')} is a {done} bump: {verdict}"
        )
    return 0 if enough else 1
