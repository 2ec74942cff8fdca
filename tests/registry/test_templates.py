"""Templates and adopting packages (issue 11): composition by JSON Merge Patch, problems reported at the
file a person fixes, locks, template checks, and immutability through publishing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.publish import publish, verify_index
from registry.templates import forget_cached_templates, merge_patch
from registry.validate import validate_file

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "registry/templates/nasional/izin-penelitian.json").read_text(encoding="utf-8"))
HAND_WRITTEN = json.loads((ROOT / "registry/packages/35.76/izin-penelitian.json").read_text(encoding="utf-8"))


# RFC 7396 appendix A, row by row: (target, patch, result)
RFC_7396_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_7396_EXAMPLES)
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    before = copy.deepcopy(target)
    assert merge_patch(target, patch) == result
    assert target == before  # inputs are never changed


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _overlay(region: str = "35.78", **sections: Any) -> dict[str, Any]:
    """A complete overlay adopting nasional/izin-penelitian@1.0.0 with a hand-written local system."""
    local = copy.deepcopy(HAND_WRITTEN["local_system"])
    local["auth"]["secret_ref"] = f"R{region.replace('.', '')}_BAKESBANGPOL_TOKEN"
    doc: dict[str, Any] = {
        "schema_version": "1",
        "id": f"{region}/izin-penelitian",
        "version": "1.0.0",
        "region": region,
        "extends": {"template": "nasional/izin-penelitian", "version": "1.0.0"},
        "service": {
            "agency": "Badan Kesatuan Bangsa dan Politik Kota Surabaya",
            "description": HAND_WRITTEN["service"]["description"],
        },
        "local_system": local,
        "contact": HAND_WRITTEN["contact"],
    }
    composed: dict[str, Any] = merge_patch(doc, sections)
    return composed


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A registry with nasional/izin-penelitian 1.0.0 published."""
    forget_cached_templates()
    root = tmp_path / "registry"
    source = _write(root / "templates/nasional/izin-penelitian.json", TEMPLATE)
    assert publish(source, root).outcome == "published"
    return root


def _problems(registry: Path, overlay: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(file relative to the registry, path, rule) of each problem of the overlay, composed."""
    path = _write(registry / "packages" / overlay["region"] / "izin-penelitian.json", overlay)
    report = validate_file(path)
    return [(str(Path(p.file).resolve().relative_to(registry.resolve())), p.path, p.rule) for p in report.problems]


OVERLAY_FILE = "packages/35.78/izin-penelitian.json"
PUBLISHED_TEMPLATE = "published/templates/nasional/izin-penelitian/1.0.0.json"

# (case, overlay changes as a merge patch, expected (file, path, rule) problems)
COMPOSITION_CASES: list[tuple[str, dict[str, Any], list[tuple[str, str, str]]]] = [
    ("complete overlay", {}, []),
    ("adds a form field", {"form": {"properties": {"nama_pembimbing": {"type": "string", "maxLength": 120}}}}, []),
    ("replaces the SLA", {"service": {"sla_working_days": 3}}, []),
    (
        "adds a requirement (the locked ones stay)",
        {
            "service": {
                "requirements": [
                    *TEMPLATE["service"]["requirements"],
                    {
                        "id": "surat_rekomendasi_kampus",
                        "name": "Surat rekomendasi kampus",
                        "formats": ["pdf"],
                        "max_size_kb": 1024,
                        "required": False,
                    },
                ]
            }
        },
        [],
    ),
    (
        "removes an optional requirement: still locked",
        {"service": {"requirements": [r for r in TEMPLATE["service"]["requirements"] if r["required"]]}},
        [(OVERLAY_FILE, "$.service.requirements", "template-locked")],
    ),
    (
        "replaces a value badly: the overlay's file",
        {"service": {"sla_working_days": 0}},
        [(OVERLAY_FILE, "$.service.sla_working_days", "schema.minimum")],
    ),
    (
        "leaves a required field out: the overlay's to add",
        {"contact": None},
        [(OVERLAY_FILE, "$", "schema.required")],
    ),
    (
        "removes a locked requirement",
        {"service": {"requirements": TEMPLATE["service"]["requirements"][1:]}},
        [(OVERLAY_FILE, "$.service.requirements", "template-locked")],
    ),
    (
        "drops a field the template requires",
        {"form": {"required": ["nik_peneliti"]}},
        [(OVERLAY_FILE, "$.form.required", "template-locked")],
    ),
    (
        "changes a fixed field",
        {"form": {"properties": {"nik_peneliti": {"pattern": "^[0-9]{10,16}$"}}}},
        [(OVERLAY_FILE, "$.form.properties.nik_peneliti", "template-locked")],
    ),
    (
        "unknown template",
        {"extends": {"template": "nasional/izin-riset"}},
        [(OVERLAY_FILE, "$.extends.template", "template-found")],
    ),
    (
        "unknown version",
        {"extends": {"version": "2.0.0"}},
        [(OVERLAY_FILE, "$.extends.version", "template-found")],
    ),
    (
        "a version range is not a version",
        {"extends": {"version": "^1.0"}},
        [(OVERLAY_FILE, "$.extends.version", "schema.pattern")],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in COMPOSITION_CASES], ids=[c[0] for c in COMPOSITION_CASES]
)
def test_composition_cases(registry: Path, change: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert _problems(registry, _overlay(**change)) == expected


def test_a_problem_the_template_holds_is_reported_at_the_template(tmp_path: Path) -> None:
    forget_cached_templates()
    root = tmp_path / "registry"
    broken = copy.deepcopy(TEMPLATE)
    broken["service"]["requirements"][0]["max_size_kb"] = -5
    _write(root / "templates/nasional/izin-penelitian.json", broken)  # a draft: validate reads it too
    problems = _problems(root, _overlay())
    assert ("templates/nasional/izin-penelitian.json", "$.service.requirements[0].max_size_kb") in [
        (f, p) for f, p, _ in problems
    ], problems
    assert all(f != OVERLAY_FILE for f, _, _ in problems), problems  # nothing blamed on the region


def test_the_composed_package_is_the_hand_written_one(registry: Path) -> None:
    """The hand-written 35.76 package, as an overlay of the template: it composes back to the same package."""
    overlay = {key: value for key, value in HAND_WRITTEN.items() if key not in ("service", "form")} | {
        "extends": {"template": "nasional/izin-penelitian", "version": "1.0.0"}
    }
    overlay["service"] = {
        "agency": HAND_WRITTEN["service"]["agency"],
        "description": HAND_WRITTEN["service"]["description"],
    }
    path = _write(registry / "packages/35.76/izin-penelitian.json", overlay)
    assert validate_file(path).problems == []
    from registry.validate import compose_package

    composed = compose_package(path, overlay).doc
    assert composed is not None
    assert {k: v for k, v in composed.items() if k != "extends"} == HAND_WRITTEN


TEMPLATE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, str]]] = [
    (
        "a base URL",
        lambda t: t.setdefault("local_system", {}).update(base_url="https://x.go.id"),
        ("$.local_system.base_url", "template-region-value"),
    ),
    (
        "a secret name",
        lambda t: t.setdefault("local_system", {}).update(auth={"type": "bearer", "secret_ref": "R35_X"}),
        ("$.local_system.auth.secret_ref", "template-region-value"),
    ),
    (
        "a lock on nothing",
        lambda t: t["template"]["locked"].update({"/service/biaya": "fixed"}),
        ("$.template.locked['/service/biaya']", "template-locked"),
    ),
    (
        "a template extending a template",
        lambda t: t.update(extends={"template": "nasional/x", "version": "1.0.0"}),
        ("$.extends", "schema.unknown-field"),
    ),
    (
        "an unknown owner",
        lambda t: t["template"].update(id="99.99/izin-penelitian"),
        ("$.template.id", "template-owner"),
    ),
    (
        "a bad section",
        lambda t: t["service"].update(sla_working_days="lima"),
        ("$.service.sla_working_days", "schema.type"),
    ),
    (
        "a profile with a service",
        lambda t: t["template"].update(kind="connector_profile"),
        ("$.service", "template-profile"),
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in TEMPLATE_CASES], ids=[c[0] for c in TEMPLATE_CASES])
def test_template_checks(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], expected: tuple[str, str]) -> None:
    doc = copy.deepcopy(TEMPLATE)
    mutate(doc)
    report = validate_file(_write(tmp_path / "t.json", doc))
    assert expected in [(p.path, p.rule) for p in report.problems], report.problems


def test_the_sample_template_is_valid() -> None:
    assert validate_file(ROOT / "registry/templates/nasional/izin-penelitian.json").problems == []


def test_publishing_freezes_the_composed_package_through_template_upgrades(registry: Path) -> None:
    source = _write(registry / "packages/35.78/izin-penelitian.json", _overlay())
    first = publish(source, registry)
    assert first.outcome == "published", first.problems
    index = json.loads((registry / "index.json").read_text(encoding="utf-8"))
    info = index["packages"]["35.78/izin-penelitian"]["versions"]["1.0.0"]
    assert info["template"] == "nasional/izin-penelitian@1.0.0"  # lineage
    frozen = (registry / info["path"]).read_bytes()
    assert json.loads(frozen)["form"] == TEMPLATE["form"]  # the composed whole, not the overlay

    newer = copy.deepcopy(TEMPLATE)
    newer["template"]["version"] = "1.1.0"
    newer["service"]["outputs"].append("Salinan SKP untuk lokasi penelitian")
    assert publish(_write(registry / "templates/nasional/izin-penelitian.json", newer), registry).outcome == "published"
    assert (registry / info["path"]).read_bytes() == frozen  # a new template version changes no published package
    assert publish(source, registry).outcome == "unchanged"  # the overlay still pins 1.0.0
    assert verify_index(registry) == []

    moved = _overlay(extends={"version": "1.1.0"})
    refused = publish(_write(source, moved), registry)
    assert refused.outcome == "refused" and [p.rule for p in refused.problems] == ["version-bump"]
    assert (
        publish(_write(source, _overlay(extends={"version": "1.1.0"}, version="1.1.0")), registry).outcome
        == "published"
    )


def test_a_template_version_is_immutable_and_a_draft_cannot_be_built_on(registry: Path) -> None:
    changed = copy.deepcopy(TEMPLATE)
    changed["service"]["sla_working_days"] = 9
    source = _write(registry / "templates/nasional/izin-penelitian.json", changed)
    refused = publish(source, registry)
    assert refused.outcome == "refused" and "already published with other content" in refused.problems[0].message
    draft = copy.deepcopy(TEMPLATE)
    draft["template"]["id"] = "35/izin-penelitian"
    _write(registry / "templates/35/izin-penelitian.json", draft)
    forget_cached_templates()
    package = _write(
        registry / "packages/35.78/izin-penelitian.json", _overlay(extends={"template": "35/izin-penelitian"})
    )
    assert validate_file(package).problems == []  # a draft is fine to validate against ...
    result = publish(package, registry)
    assert result.outcome == "refused" and [p.rule for p in result.problems] == ["template-draft"]  # ... not to publish


def test_against_previous_compares_the_composed_package(registry: Path) -> None:
    """`validate --against-previous` judges what publishing would write (the composed document), so a
    published, unchanged overlay is not taken for changed content, and a template move needs a bump."""
    source = _write(registry / "packages/35.78/izin-penelitian.json", _overlay())
    assert publish(source, registry).outcome == "published"
    from registry.validate import _cached_index

    _cached_index.cache_clear()
    assert validate_file(source, registry).problems == []
    newer = copy.deepcopy(TEMPLATE)
    newer["template"]["version"] = "1.1.0"
    newer["service"]["outputs"].append("Salinan SKP untuk lokasi penelitian")
    assert publish(_write(registry / "templates/nasional/izin-penelitian.json", newer), registry).outcome == "published"
    _write(source, _overlay(extends={"version": "1.1.0"}))
    _cached_index.cache_clear()
    assert [p.rule for p in validate_file(source, registry).problems] == ["version-bump"]
