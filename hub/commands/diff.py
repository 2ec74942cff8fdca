"""Classify the change between two versions of a package as patch, minor or major, with reasons.

Prints each change as `level  $.path: reason` (paths spelt as `mpphub validate` spells them, old and new
values shown), then the required version bump and whether NEW's version provides it; a downgrade, an
unbumped version or a pre-release is called what it is, and identical packages print "no change". Exit 0 when NEW's version bump covers the change, 1 when it does not, 2 on a
usage error (unreadable file, different packages).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub diff``."""
    parser.add_argument("old", type=Path, metavar="OLD", help="the earlier version's file")
    parser.add_argument("new", type=Path, metavar="NEW", help="the later version's file")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    """Diff, print, and return the exit code."""
    from registry.diff import diff_packages
    from registry.document import DocumentError, load_document
    from registry.semver import Version, bump_level

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
        before, after = Version.parse(str(old.get("version"))), Version.parse(str(new.get("version")))
    except ValueError as exc:
        print(f"mpphub diff: {exc}", file=sys.stderr)
        return 2
    done = bump_level(before, after)
    what, enough = _version_change(before, after, done, result.level)
    if args.format == "json":
        payload = {
            "level": result.level,
            "version_bump": done,
            "version_change": what,
            "bump_sufficient": enough,
            "changes": [{"level": c.level, "path": c.path, "reason": c.reason} for c in result.changes],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0 if enough else 1
    if not result.changes and before == after:
        print(f"no change: both files hold {old.get('id')} {before} with the same content")
        return 0
    for change in result.changes:
        print(f"{change.level:<6} {change.path}: {change.reason}")
    if not result.changes:
        print(f"no change other than the version: {before} -> {after} ({_called(what, done, after)})")
        return 0 if enough else 1
    if what == "downgrade":
        verdict = f"NOT enough: the new version must be above {before}"
    else:
        verdict = "enough" if enough else f"NOT enough: bump the {result.level} version"
    print(f"change: {result.level}; version {before} -> {after} is {_called(what, done, after)}: {verdict}")
    return 0 if enough else 1


def _version_change(before: Any, after: Any, done: str, needed: str) -> tuple[str, bool]:
    """What the version step is (``downgrade``, ``same``, ``pre-release``, ``release`` or the bump level),
    and whether it covers a change of level ``needed``."""
    from registry.semver import level_rank

    if after < before:
        return "downgrade", False
    if after == before:
        return "same", needed == "none"
    enough = level_rank(done) >= level_rank(needed)
    if after.pre:
        return "pre-release", enough
    if before.pre and (before.major, before.minor, before.patch) == (after.major, after.minor, after.patch):
        return "release", enough
    return done, enough


def _called(what: str, done: str, after: Any) -> str:
    """The version step in words: a downgrade or a pre-release is called what it is."""
    release = f"{after.major}.{after.minor}.{after.patch}"
    return {
        "downgrade": "a downgrade",
        "same": "not bumped",
        "pre-release": f"a pre-release of {release} (a {done} bump)",
        "release": f"the release of its pre-release (a {done} bump)",
    }.get(what, f"a {done} bump")
