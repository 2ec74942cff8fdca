"""Is a package's version right for what changed since its latest published version?"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from registry.diff import diff_packages, required_bump_reasons
from registry.index import load_published
from registry.rules.context import Finding
from registry.semver import Version, bump_level, level_rank


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of the exact bytes of a package file."""
    return hashlib.sha256(data).hexdigest()


def check_against_previous(doc: dict[str, Any], raw: bytes, registry: Path, index: dict[str, Any]) -> Iterator[Finding]:
    """Compare with the latest published version: same version means same bytes, and a newer version is
    bumped at least as much as the change needs (patch < minor < major)."""
    package_id, version_text = doc.get("id"), doc.get("version")
    if not isinstance(package_id, str) or not isinstance(version_text, str):
        return
    entry = index["packages"].get(package_id)
    if entry is None:
        return  # never published: any version is a fine first one
    try:
        version = Version.parse(version_text)
    except ValueError:
        return  # the schema reports the shape
    published = entry["versions"].get(version_text)
    latest_text = entry["latest"]
    if published is not None:
        if published["sha256"] != sha256_hex(raw):
            same_version = load_published(registry, index, package_id, version_text) or {}
            level = diff_packages(same_version, doc).level
            yield Finding(
                ("version",),
                f"version {version_text} is already published with other content; published versions are "
                f"immutable: bump the version (this change needs at least a {max(level, 'patch', key=level_rank)} bump)",
            )
        return
    latest = Version.parse(latest_text)
    if version <= latest:
        yield Finding(("version",), f"version {version_text} is not above the latest published version {latest_text}")
        return
    previous = load_published(registry, index, package_id, latest_text)
    if previous is None:
        return
    result = diff_packages(previous, doc)
    done = bump_level(latest, version)
    if level_rank(done) < level_rank(result.level):
        reasons = "; ".join(required_bump_reasons(result, result.level)[:5])
        yield Finding(
            ("version",),
            f"{latest_text} -> {version_text} is a {done} bump but the change is {result.level}: {reasons}",
        )
