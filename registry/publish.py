"""Publish a package version into a registry folder: validated, immutable, indexed."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from registry.document import DocumentError, load_document
from registry.index import catalogue_entry, load_index, published_path, save_index, write_atomically
from registry.problems import Problem, json_path
from registry.semver import Version
from registry.validate import check_document
from registry.versioning import check_against_previous, sha256_hex


@dataclass(frozen=True)
class PublishResult:
    """What happened: ``published``, ``unchanged`` (same version, same bytes) or ``refused`` with problems."""

    outcome: str
    package_id: str | None
    version: str | None
    problems: list[Problem]
    sha256: str | None = None


@contextmanager
def registry_lock(registry: Path) -> Iterator[None]:
    """One publisher at a time per registry folder, so the index never loses an update."""
    registry.mkdir(parents=True, exist_ok=True)
    with (registry / ".publish.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


ExtraCheck = Callable[[str, dict[str, Any]], list[Problem]]


def publish(
    file: Path, registry: Path, now: datetime | None = None, extra_check: ExtraCheck | None = None
) -> PublishResult:
    """Validate ``file`` and add it to ``registry`` as an immutable version, updating index.json.
    ``extra_check`` adds the application's own checks (the hub's host policy), run like the rules."""
    name = str(file)
    try:
        document = load_document(file)
    except DocumentError as exc:
        return PublishResult("refused", None, None, [Problem(name, "$", str(exc), "file")])
    doc = document.data
    problems = check_document(file, doc, name)
    if extra_check is not None:
        problems += extra_check(name, doc)
    package_id, version = doc.get("id"), doc.get("version")
    if problems or not isinstance(package_id, str) or not isinstance(version, str):
        return PublishResult("refused", package_id if isinstance(package_id, str) else None, None, problems)
    digest = sha256_hex(document.raw)
    with registry_lock(registry):
        index = load_index(registry)
        findings = list(check_against_previous(doc, document.raw, registry, index))
        if findings:
            return PublishResult(
                "refused",
                package_id,
                version,
                [Problem(name, json_path(f.path), f.message, "version-bump") for f in findings],
            )
        entry = index["packages"].get(package_id)
        if entry is not None and version in entry["versions"]:
            return PublishResult("unchanged", package_id, version, [], digest)
        relative = published_path(package_id, version)
        write_atomically(registry / relative, document.raw)
        stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = entry or {"versions": {}}
        entry["versions"][version] = {"sha256": digest, "path": relative, "published_at": stamp}
        latest = max(entry["versions"], key=Version.parse)
        entry["latest"] = latest
        if latest == version:
            entry.update(catalogue_entry(doc))
        index["packages"][package_id] = entry
        save_index(registry, index)
    return PublishResult("published", package_id, version, [], digest)


def verify_index(registry: Path) -> list[str]:
    """Every indexed version's file exists and still has its recorded sha256 (published files are immutable)."""
    errors = []
    index = load_index(registry)
    for package_id, entry in sorted(index["packages"].items()):
        for version, info in entry["versions"].items():
            path = registry / info["path"]
            if not path.is_file():
                errors.append(f"{package_id} {version}: {info['path']} is missing")
            elif sha256_hex(path.read_bytes()) != info["sha256"]:
                errors.append(f"{package_id} {version}: {info['path']} was changed after publishing")
            elif json.loads(path.read_bytes()).get("version") != version:
                errors.append(f"{package_id} {version}: {info['path']} holds another version")
    return errors
