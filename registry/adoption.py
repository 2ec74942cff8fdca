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
    return Adoption(package_id, path, overlay, template, profile, mine)
