"""Adopting a template: write a region's minimal overlay, and say exactly what the team still has to supply.

``mpphub adopt`` and ``mpphub onboard`` are thin shells over ``plan_adoption``: it picks the template
version (the latest published one unless told), names the package ``<region>/<template slug>``, puts the
values the team gave into the overlay, composes and validates the result, and returns the problems that
are the overlay's to fix — the list of values still missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.problems import Problem
from registry.regions import region_table
from registry.semver import Version
from registry.templates import TemplateStore, TemplateVersion, forget_cached_templates


class AdoptionError(ValueError):
    """A request that cannot become an overlay (unknown template or region...): a usage error."""


@dataclass
class Adoption:
    """The overlay to write, where, and what is still missing once composed."""

    package_id: str
    path: Path
    overlay: dict[str, Any]
    template: TemplateVersion
    profile: TemplateVersion | None
    to_supply: list[Problem] = field(default_factory=list)
    composed: dict[str, Any] | None = None  # template + profile + overlay, as validated (None: not composable)

    def text(self) -> str:
        """The overlay as it is written (two-space JSON, like the sample packages)."""
        return json.dumps(self.overlay, ensure_ascii=False, indent=2) + "\n"


def pick_version(store: TemplateStore, template_id: str, version: str | None) -> TemplateVersion:
    """That version, or the latest published one (the latest draft when none is published)."""
    if version is not None:
        found = store.get(template_id, version)
        if found is None:
            known = store.versions(template_id)
            raise AdoptionError(
                f"template {template_id}@{version} not found"
                + (f"; versions: {', '.join(known)}" if known else "; no version of it in this registry")
            )
        return found
    candidates = [store.get(template_id, v) for v in store.versions(template_id)]
    found_any = [c for c in candidates if c is not None]
    if not found_any:
        raise AdoptionError(f"template {template_id} not found in {store.registry} (see `mpphub templates`)")
    published = [c for c in found_any if c.published] or found_any
    return max(published, key=lambda c: Version.parse(c.version))


def set_value(doc: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in ``doc`` (objects created on the way)."""
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        raise AdoptionError(f"--set needs a path such as service.agency, not {dotted!r}")
    node = doc
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise AdoptionError(f"--set {dotted}: {part} is not an object")
        node = child
    node[parts[-1]] = value


def plan_adoption(
    registry: Path,
    template_id: str,
    region: str,
    *,
    version: str | None = None,
    profile_id: str | None = None,
    profile_version: str | None = None,
    slug: str | None = None,
    values: dict[str, Any] | None = None,
) -> Adoption:
    """The overlay for ``region`` adopting ``template_id`` (and a connector profile), validated composed."""
    from registry.validate import check_composition, compose_package

    if region not in region_table():
        suggestion = region_table().suggest(region)
        hint = f"; did you mean {suggestion.code} ({suggestion.name})?" if suggestion else ""
        raise AdoptionError(f"region {region!r} is not a Kemendagri region code{hint}")
    forget_cached_templates()
    store = TemplateStore(registry)
    template = pick_version(store, template_id, version)
    if template.kind != "service":
        raise AdoptionError(f"{template_id} is a connector profile: adopt a service template and pass it as --profile")
    profile = pick_version(store, profile_id, profile_version) if profile_id else None
    if profile is not None and profile.kind != "connector_profile":
        raise AdoptionError(f"{profile_id} is a service template, not a connector profile")
    package_id = f"{region}/{slug or template_id.partition('/')[2]}"
    extends: dict[str, Any] = {"template": template.template_id, "version": template.version}
    if profile is not None:
        extends["profile"] = {"template": profile.template_id, "version": profile.version}
    overlay: dict[str, Any] = {
        "schema_version": "1",
        "id": package_id,
        "version": "1.0.0",
        "region": region,
        "extends": extends,
    }
    for dotted, value in (values or {}).items():
        set_value(overlay, dotted, value)
    path = registry / "packages" / region / f"{package_id.partition('/')[2]}.json"
    composition = compose_package(path, overlay, str(path), store)
    problems = check_composition(composition, path)
    mine = [p for p in problems if p.file == str(path)]
    return Adoption(package_id, path, overlay, template, profile, mine, composition.doc)


@dataclass
class Upgrade:
    """A package moved to another template version: the new overlay, and what that changes for the region."""

    path: Path
    overlay: dict[str, Any]
    old_ref: str
    new_ref: str
    changes: list[tuple[str, str, str]]  # (level, path, reason), as `mpphub diff`
    level: str
    old_version: str
    new_version: str
    problems: list[Problem] = field(default_factory=list)

    def text(self) -> str:
        """The overlay as it is written."""
        return json.dumps(self.overlay, ensure_ascii=False, indent=2) + "\n"


def plan_upgrade(path: Path, registry: Path, to: str | None = None) -> Upgrade:
    """Move the package at ``path`` to template version ``to`` (default: the latest published), classify what
    changes in the composed package, and bump the package's version by that much (from its latest published
    version when it has one)."""
    from registry.diff import diff_packages
    from registry.document import DocumentError, load_document
    from registry.index import load_index
    from registry.validate import check_composition, compose_package

    try:
        overlay = load_document(path).data
    except DocumentError as exc:
        raise AdoptionError(f"{path}: {exc}") from None
    extends = overlay.get("extends")
    if not isinstance(extends, dict) or not isinstance(extends.get("template"), str):
        raise AdoptionError(f"{path} does not extend a template (nothing to upgrade)")
    forget_cached_templates()
    store = TemplateStore(registry)
    current = str(extends.get("version"))
    target = pick_version(store, extends["template"], to)
    if to is None and not Version.parse(target.version) > Version.parse(current):
        raise AdoptionError(f"{path} is on {extends['template']}@{current}, the latest: nothing to upgrade")
    before = compose_package(path, overlay, str(path), store)
    moved = json.loads(json.dumps(overlay))
    moved["extends"]["version"] = target.version
    after = compose_package(path, moved, str(path), store)
    problems = check_composition(after, path)
    changes: list[tuple[str, str, str]] = []
    level = "none"
    old_version = str(overlay.get("version", "1.0.0"))
    new_version = old_version
    if before.doc is not None and after.doc is not None:
        result = diff_packages(before.doc, after.doc)
        changes = [(c.level, c.path, c.reason) for c in result.changes]
        level = result.level
        entry = load_index(registry)["packages"].get(str(overlay.get("id")))
        base = Version.parse(old_version)
        if entry and Version.parse(entry["latest"]) > base:  # from what the nation has, never backwards
            base = Version.parse(entry["latest"])
        new_version = str(bump(base, level if level != "none" else "patch"))
        moved["version"] = new_version
    return Upgrade(
        path, moved, f"{extends['template']}@{current}", target.ref, changes, level, old_version, new_version, problems
    )


def bump(version: Version, level: str) -> Version:
    """The next version at ``level`` (patch, minor or major)."""
    if level == "major":
        return Version(version.major + 1, 0, 0)
    if level == "minor":
        return Version(version.major, version.minor + 1, 0)
    return Version(version.major, version.minor, version.patch + 1)


def service_templates(registry: Path, kind: str = "service") -> list[str]:
    """The ids of every template of ``kind`` in the registry (published or draft), sorted: ``service``, or
    ``connector_profile`` for the profiles a region may build its local system on."""
    from registry.templates import _drafts, _published_templates

    forget_cached_templates()
    root = registry.resolve()
    ids = {i for i, entry in _published_templates(root).items() if entry.get("kind") == kind}
    store = TemplateStore(registry)
    for template_id, version in _drafts(root):
        found = store.get(template_id, version)
        if found is not None and found.kind == kind:
            ids.add(template_id)
    return sorted(ids)
