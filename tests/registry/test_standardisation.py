"""Standardisation figures from the index alone: adopters per template version, how many lag behind the
latest, regions, and the longest overlays (issue 11, item 5)."""

from __future__ import annotations

from typing import Any

from registry.standardisation import standardisation


def _package(region: str, template: str, lines: int, profile: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"sha256": "x", "path": "p", "template": template, "overlay_lines": lines}
    if profile:
        info["profile"] = profile
    return {"region": region, "latest": "1.0.0", "versions": {"1.0.0": info}}


INDEX: dict[str, Any] = {
    "templates": {
        "nasional/akta-kelahiran": {"kind": "service", "latest": "1.2.0", "versions": {"1.0.0": {}, "1.2.0": {}}},
        "nasional/sipena": {"kind": "connector_profile", "latest": "1.0.0", "versions": {"1.0.0": {}}},
        "nasional/unused": {"kind": "service", "latest": "1.0.0", "versions": {"1.0.0": {}}},
    },
    "packages": {
        "35.01/akta-kelahiran": _package("35.01", "nasional/akta-kelahiran@1.0.0", 12, "nasional/sipena@1.0.0"),
        "35.02/akta-kelahiran": _package("35.02", "nasional/akta-kelahiran@1.2.0", 40),
        "35.02/akta-kelahiran-kota": _package("35.02", "nasional/akta-kelahiran@1.2.0", 9),
        "35.76/akta-kematian": {"region": "35.76", "latest": "1.0.0", "versions": {"1.0.0": {"sha256": "y"}}},
        "35.03/x": _package("35.03", "nasional/gone@1.0.0", 3),  # lineage to a template not in this index
    },
}


def test_adopters_versions_and_lag() -> None:
    rows = {r["id"]: r for r in standardisation(INDEX)}
    akta = rows["nasional/akta-kelahiran"]
    assert (akta["adopting"], akta["by_version"], akta["behind_latest"], akta["regions"]) == (
        3,
        {"1.0.0": 1, "1.2.0": 2},
        1,
        2,
    )
    assert [p["package_id"] for p in akta["most_divergent"]] == [
        "35.02/akta-kelahiran",
        "35.01/akta-kelahiran",
        "35.02/akta-kelahiran-kota",
    ]
    assert (rows["nasional/sipena"]["adopting"], rows["nasional/unused"]["adopting"]) == (1, 0)
    assert set(rows) == {"nasional/akta-kelahiran", "nasional/sipena", "nasional/unused"}


def test_a_region_sees_national_counts_and_its_own_packages() -> None:
    akta = next(r for r in standardisation(INDEX, top=1, region="35.01") if r["id"] == "nasional/akta-kelahiran")
    assert akta["adopting"] == 3
    assert [p["package_id"] for p in akta["most_divergent"]] == ["35.01/akta-kelahiran"]
