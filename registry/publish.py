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
from registry.placeholders import Found, find_placeholders
from registry.problems import Problem, json_path, quote
from registry.semver import Version
from registry.templates import TemplateStore, forget_cached_templates, is_template
from registry.validate import check_composition, check_document, compose_package
from registry.versioning import check_against_previous, sha256_hex


@dataclass(frozen=True)
class PublishResult:
    """What happened: ``published``, ``unchanged`` (same version, same bytes) or ``refused`` with problems."""

    outcome: str
    package_id: str | None
    version: str | None
    problems: list[Problem]
    sha256: str | None = None
    # the starter's placeholders still in the file (also among ``problems``, rule ``starter-placeholder``),
    # for a caller that words the refusal itself (the CLI, in the team's language)
    placeholders: tuple[Found, ...] = ()


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
    doc, raw = document.data, document.raw
    if is_template(doc):
        return _publish_template(file, name, doc, raw, registry, now)
    lineage: dict[str, str | int] = {}
    if "extends" in doc:
        # an adopting package is published composed: the frozen whole, so a new template version never
        # changes it (issue 11); the index records which template versions it was built from
        composition = compose_package(file, doc, name, TemplateStore(registry))
        problems = check_composition(composition, file)
        problems += [
            Problem(name, "$.extends", f"template {t.ref} is a draft (templates/): publish it first", "template-draft")
            for t in composition.templates
            if not t.published
        ]
        if composition.doc is not None and not problems:
            doc, raw = composition.doc, canonical_bytes(composition.doc)
            lineage = {"template": composition.templates[0].ref, "overlay_lines": document.raw.count(b"\n")}
            if len(composition.templates) > 1:
                lineage["profile"] = composition.templates[1].ref
    else:
        problems = check_document(file, doc, name)
    if extra_check is not None and not problems:
        problems += extra_check(name, doc)
    # a draft may keep the starter's placeholders (it validates); a published version may not. Looked for
    # in the file as written (an overlay's own values), where the team replaces them
    placeholders = tuple(find_placeholders(document.data))
    problems += [placeholder_problem(name, found) for found in placeholders]
    package_id, version = doc.get("id"), doc.get("version")
    if problems or not isinstance(package_id, str) or not isinstance(version, str):
        known = package_id if isinstance(package_id, str) else None
        return PublishResult("refused", known, None, problems, placeholders=placeholders)
    digest = sha256_hex(raw)
    with registry_lock(registry):
        index = load_index(registry)
        findings = list(check_against_previous(doc, raw, registry, index))
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
        write_atomically(registry / relative, raw)
        stamp = _stamp(now)
        entry = entry or {"versions": {}}
        entry["versions"][version] = {"sha256": digest, "path": relative, "published_at": stamp, **lineage}
        latest = max(entry["versions"], key=Version.parse)
        entry["latest"] = latest
        if latest == version:
            entry.update(catalogue_entry(doc))
        index["packages"][package_id] = entry
        save_index(registry, index)
    return PublishResult("published", package_id, version, [], digest)


def placeholder_problem(name: str, found: Found) -> Problem:
    """The refusal of one placeholder, at its JSON path: which value, and what to write instead."""
    message = f"still the starter's placeholder {quote(found.value)}: {found.placeholder.hint()}"
    return Problem(name, json_path(found.path), message, "starter-placeholder")


def _stamp(now: datetime | None) -> str:
    """When a version was published, as the index records it."""
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """How a composed package is written when published: the same document gives the same bytes."""
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _publish_template(
    file: Path, name: str, doc: dict[str, Any], raw: bytes, registry: Path, now: datetime | None
) -> PublishResult:
    """Add a template version to the registry: checked, immutable, indexed under ``templates``."""
    problems = check_document(file, doc, name)
    meta: dict[str, Any] = doc["template"]  # is_template: a dict
    template_id, version = meta.get("id"), meta.get("version")
    if problems or not isinstance(template_id, str) or not isinstance(version, str):
        return PublishResult("refused", template_id if isinstance(template_id, str) else None, None, problems)
    digest = sha256_hex(raw)
    with registry_lock(registry):
        index = load_index(registry)
        templates = index.setdefault("templates", {})
        entry = templates.get(template_id) or {"versions": {}}
        published = entry["versions"].get(version)
        if published is not None:
            if published["sha256"] == digest:
                return PublishResult("unchanged", template_id, version, [], digest)
            message = f"template version {version} is already published with other content: bump the version"
            return PublishResult(
                "refused", template_id, version, [Problem(name, "$.template.version", message, "version-bump")]
            )
        latest = entry.get("latest")
        if latest is not None and Version.parse(version) <= Version.parse(latest):
            message = f"version {version} is not above the latest published version {latest}"
            return PublishResult(
                "refused", template_id, version, [Problem(name, "$.template.version", message, "version-bump")]
            )
        owner, _, slug = template_id.partition("/")
        relative = f"published/templates/{owner}/{slug}/{version}.json"
        write_atomically(registry / relative, raw)
        stamp = _stamp(now)
        entry["versions"][version] = {"sha256": digest, "path": relative, "published_at": stamp}
        entry.update(latest=max(entry["versions"], key=Version.parse), kind=meta["kind"], title=meta["title"])
        templates[template_id] = entry
        save_index(registry, index)
    forget_cached_templates()  # the next composition in this process sees it
    return PublishResult("published", template_id, version, [], digest)


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
    for template_id, entry in sorted(index.get("templates", {}).items()):
        for version, info in entry["versions"].items():
            path = registry / info["path"]
            if not path.is_file():
                errors.append(f"template {template_id} {version}: {info['path']} is missing")
            elif sha256_hex(path.read_bytes()) != info["sha256"]:
                errors.append(f"template {template_id} {version}: {info['path']} was changed after publishing")
    return errors
