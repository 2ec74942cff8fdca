"""Templates and the packages that adopt them (issue 11: "tinggal berbagi paket").

A *template* is a partial package published like a package (``schemas/service-template.schema.json``):
``nasional/akta-kelahiran`` holds what every region's akta kelahiran shares; a *connector profile*
(``template.kind = connector_profile``) holds the ``local_system`` shape of a local application many
regions run. A region's package says ``"extends": {"template": ID, "version": V, "profile": {...}}`` and
holds only its differences, a JSON Merge Patch (RFC 7396) applied over the template, then the profile.

This module composes a package from its layers, says which layer (file) a problem in the composed
document belongs to, enforces what a template locks, and finds template versions in a registry:
published ones (``index.json`` ``templates``; immutable) and working copies under ``templates/``
(drafts: fine to validate against, refused by ``publish``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from registry.document import DocumentError, load_document
from registry.problems import PathPart, quote

TEMPLATE_DIR = "templates"
# The sections of a package a template may hold (the rest — id, version, region, extends — is the region's).
CONTENT_KEYS = ("service", "form", "local_system", "contact")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge key by key, ``null`` removes a key, anything else (arrays
    included) replaces. Neither input is changed; the result shares what was not patched with ``target``
    (and the patch's values with ``patch``), so treat it as read-only — copying every template for each of
    100,000 packages cost more than validating them. (The RFC's own few lines: a dependency would cost
    more than it saves.)"""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def well_formed_ref(ref: dict[str, Any]) -> bool:
    """A ``{"template": ID, "version": V}`` reference with the schema's patterns (``$defs/template_ref``)."""
    template, version = ref.get("template"), ref.get("version")
    return (
        isinstance(template, str)
        and isinstance(version, str)
        and len(template) <= 80
        and len(version) <= 64
        and _ref_patterns()[0].match(template) is not None
        and _ref_patterns()[1].match(version) is not None
    )


@lru_cache(maxsize=1)
def _ref_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    from registry.schemas import package_schema

    props = package_schema()["$defs"]["template_ref"]["properties"]
    return re.compile(props["template"]["pattern"]), re.compile(props["version"]["pattern"])


def is_template(doc: dict[str, Any]) -> bool:
    """Whether a parsed file is a template (it has a ``template`` section) rather than a package."""
    return isinstance(doc.get("template"), dict)


def template_content(doc: dict[str, Any]) -> dict[str, Any]:
    """The package sections a template provides (without its ``template`` metadata)."""
    return {key: doc[key] for key in CONTENT_KEYS if key in doc}


@dataclass(frozen=True)
class TemplateVersion:
    """One version of a template as found in a registry."""

    template_id: str
    version: str
    kind: str
    file: str  # where a person fixes it (the published copy, or the working copy for a draft)
    doc: dict[str, Any]
    published: bool

    @property
    def ref(self) -> str:
        """``id@version``, as the index records lineage."""
        return f"{self.template_id}@{self.version}"


class TemplateStore:
    """The templates of one registry folder: published versions, then drafts in ``templates/``."""

    def __init__(self, registry: Path) -> None:
        self.registry = registry
        self._root = registry.resolve()

    def get(self, template_id: str, version: str) -> TemplateVersion | None:
        """That exact version, published or draft; None when the registry has neither."""
        return _lookup(self._root, template_id, version)

    def versions(self, template_id: str) -> list[str]:
        """Every version of a template the registry knows, published and draft."""
        published = _published_templates(self._root).get(template_id, {}).get("versions", {})
        drafts = [v for (i, v) in _drafts(self._root) if i == template_id]
        return sorted(set(published) | set(drafts))


@lru_cache(maxsize=8)
def _published_templates(registry: Path) -> dict[str, Any]:
    index = registry / "index.json"
    if not index.is_file():
        return {}
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    templates = data.get("templates", {})
    return templates if isinstance(templates, dict) else {}


@lru_cache(maxsize=8)
def _drafts(registry: Path) -> dict[tuple[str, str], str]:
    """(id, version) -> file of every working copy under ``templates/``."""
    found: dict[tuple[str, str], str] = {}
    folder = registry / TEMPLATE_DIR
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("*.json")):
        try:
            doc = load_document(path).data
        except DocumentError:
            continue  # validating that file reports it
        meta = doc.get("template")
        if isinstance(meta, dict) and isinstance(meta.get("id"), str) and isinstance(meta.get("version"), str):
            found.setdefault((meta["id"], meta["version"]), str(path))
    return found


@lru_cache(maxsize=256)
def _lookup(registry: Path, template_id: str, version: str) -> TemplateVersion | None:
    entry = _published_templates(registry).get(template_id, {}).get("versions", {}).get(version)
    if isinstance(entry, dict) and isinstance(entry.get("path"), str):
        path = registry / entry["path"]
        published = True
    else:
        draft = _drafts(registry).get((template_id, version))
        if draft is None:
            return None
        path, published = Path(draft), False
    try:
        doc = load_document(path).data
    except DocumentError:
        return None
    meta = doc.get("template")
    if not isinstance(meta, dict):
        meta = {}
    return TemplateVersion(template_id, version, str(meta.get("kind", "")), str(path), doc, published)


def forget_cached_templates() -> None:
    """Drop what was read from registries (after publishing a template, and between tests)."""
    _published_templates.cache_clear()
    _drafts.cache_clear()
    _lookup.cache_clear()
    _BASES.clear()


# --- composing --------------------------------------------------------------------------------------


@dataclass
class Layer:
    """One document that went into a composed package, in order: template, profile, the region's overlay."""

    file: str
    doc: dict[str, Any]  # what this layer contributes (a template's content, or the whole overlay)
    template: TemplateVersion | None = None


@dataclass
class Composition:
    """A package composed from its layers, or the reasons it could not be."""

    doc: dict[str, Any] | None
    layers: list[Layer] = field(default_factory=list)
    problems: list[tuple[str, list[PathPart], str, str]] = field(default_factory=list)  # file, path, msg, rule

    @property
    def overlay(self) -> Layer:
        """The region's own file (the last layer)."""
        return self.layers[-1]

    @property
    def templates(self) -> list[TemplateVersion]:
        """The template versions it was built from (template first, then profile)."""
        return [layer.template for layer in self.layers if layer.template is not None]


def compose(file: str, overlay: dict[str, Any], store: TemplateStore) -> Composition:
    """Compose an adopting package: template content, then the profile's, then the overlay (merge patch).
    Problems in ``extends`` itself (unknown template or version, wrong kind) stop the composition."""
    extends = overlay.get("extends")
    result = Composition(doc=None)
    if not isinstance(extends, dict):
        return result
    wanted: list[tuple[tuple[PathPart, ...], Any, str]] = [(("extends",), extends, "service")]
    if "profile" in extends:
        wanted.append((("extends", "profile"), extends["profile"], "connector_profile"))
    for where, ref, kind in wanted:
        found = _resolve(file, list(where), ref, kind, store, result)
        if found is not None:
            result.layers.append(Layer(found.file, template_content(found.doc), found))
    if result.problems:
        return result
    refs = tuple(layer.template.ref for layer in result.layers if layer.template is not None)
    base = _base(store._root, refs, tuple(layer.doc for layer in result.layers))
    result.layers.append(Layer(file, overlay))
    result.doc = merge_patch(base, overlay)
    return result


_BASES: dict[tuple[Path, tuple[str, ...]], dict[str, Any]] = {}


def _base(root: Path, refs: tuple[str, ...], contents: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """Template content with the profile's merged in, once per (template, profile) pair and process:
    100,000 packages over ~200 templates merge only their own small overlay."""
    key = (root, refs)
    if key not in _BASES:
        base: dict[str, Any] = contents[0] if contents else {}
        for content in contents[1:]:
            base = merge_patch(base, content)
        _BASES[key] = base
    return _BASES[key]


def _resolve(
    file: str, where: list[PathPart], ref: Any, kind: str, store: TemplateStore, result: Composition
) -> TemplateVersion | None:
    if not isinstance(ref, dict) or not isinstance(ref.get("template"), str) or not isinstance(ref.get("version"), str):
        return None  # the schema reports the shape of extends
    template_id, version = ref["template"], ref["version"]
    found = store.get(template_id, version)
    if found is None:
        known = store.versions(template_id)
        hint = f"; versions in this registry: {', '.join(known)}" if known else "; no version of it is in this registry"
        result.problems.append(
            (
                file,
                [*where, "version" if known else "template"],
                f"template {template_id}@{version} not found{hint}",
                "template-found",
            )
        )
        return None
    if found.kind != kind:
        what = (
            "a connector profile (put it under extends.profile)"
            if found.kind == "connector_profile"
            else "a service template"
        )
        result.problems.append(
            (file, [*where, "template"], f"{template_id} is {what}, not a {kind.replace('_', ' ')}", "template-kind")
        )
        return None
    return found


def origin(composition: Composition, path: list[PathPart], rule: str) -> Layer:
    """The layer a person edits to fix a problem at ``path`` of the composed document.

    The overlay when it holds that value (or replaced a whole array or value above it), or when the problem
    is a missing required field (a template may leave fields to the region; adding them is the region's
    job); otherwise the latest template layer that holds it."""
    if rule == "schema.required":
        return composition.overlay
    for layer in reversed(composition.layers):
        if _holds(layer.doc, path):
            return layer
    return composition.overlay


def _holds(doc: Any, path: list[PathPart]) -> bool:
    """Whether this layer decides the value at ``path``: it has it, or a non-object above it (which a merge
    patch replaces whole, arrays included)."""
    node = doc
    for part in path:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            if not isinstance(node, dict):
                return True
        else:
            return False
    return True


# --- locks ------------------------------------------------------------------------------------------


def pointer_parts(pointer: str) -> list[str]:
    """A JSON Pointer (RFC 6901) as its reference tokens."""
    return [raw.replace("~1", "/").replace("~0", "~") for raw in pointer.split("/")[1:]]


_MISSING = object()


def _at(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def lock_problems(composition: Composition) -> Iterator[tuple[str, list[PathPart], str, str]]:
    """What the overlay changed that a template locks (``template.locked``), at the overlay's file."""
    if composition.doc is None:
        return
    for layer in composition.layers[:-1]:
        assert layer.template is not None
        locked = layer.template.doc["template"].get("locked") or {}
        for pointer, mode in locked.items():
            parts = pointer_parts(pointer)
            shared, now = _at(layer.doc, parts), _at(composition.doc, parts)
            if shared is _MISSING:
                continue  # the template's own check reports a lock on nothing
            message = _lock_violation(mode, shared, now)
            if message is not None:
                where: list[PathPart] = [int(p) if isinstance(now, list) and p.isdigit() else p for p in parts]
                yield (
                    composition.overlay.file,
                    where,
                    f"{layer.template.ref} locks {pointer} ({mode}): {message}",
                    "template-locked",
                )


def _lock_violation(mode: str, shared: Any, now: Any) -> str | None:
    if mode == "fixed":
        return None if now == shared else "it must stay as the template has it"
    if mode == "keep_items":
        if not isinstance(now, list):
            return "it must stay a list holding every item of the template"
        missing = [item for item in shared if item not in now] if isinstance(shared, list) else []
        if not missing:
            return None
        shown = ", ".join(quote(item.get("id", item) if isinstance(item, dict) else item, 40) for item in missing[:5])
        return f"the template's {shown} must stay, unchanged (items may be added)"
    if mode == "keep_keys":
        if not isinstance(now, dict):
            return "it must stay an object holding every key of the template"
        gone = [key for key in shared if key not in now] if isinstance(shared, dict) else []
        return None if not gone else f"{', '.join(quote(k, 40) for k in gone[:5])} must stay (keys may be added)"
    return None
