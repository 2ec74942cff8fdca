"""How standard the nation's packages are: per template, who adopts it, on which version, how many lag
behind its latest, and which packages diverge most from it (issue 11, item 5).

Read from the index alone (``registry/index.json``): publishing records each version's lineage
(``template``, ``profile``) and the length of the overlay it was built from (``overlay_lines``), so this
costs one pass over 100,000 index entries and opens no package.
"""

from __future__ import annotations

from typing import Any

from registry.semver import Version


def standardisation(index: dict[str, Any], top: int = 5, region: str | None = None) -> list[dict[str, Any]]:
    """One row per published template: id, kind, title, latest, adopting (count), by_version, behind_latest,
    regions (count), most_divergent (the ``top`` longest overlays: package, version, template version,
    overlay lines). With ``region``, the packages listed are that region's only (counts stay national)."""
    rows: dict[str, dict[str, Any]] = {}
    for template_id, entry in index.get("templates", {}).items():
        rows[template_id] = {
            "id": template_id,
            "kind": entry.get("kind", ""),
            "title": entry.get("title", {}),
            "latest": entry.get("latest"),
            "adopting": 0,
            "by_version": {v: 0 for v in sorted(entry.get("versions", {}), key=Version.parse)},
            "behind_latest": 0,
            "regions": set(),
            "most_divergent": [],
        }
    for package_id, entry in index.get("packages", {}).items():
        info = entry.get("versions", {}).get(entry.get("latest"), {})
        for key in ("template", "profile"):
            ref = info.get(key)
            if not isinstance(ref, str):
                continue
            template_id, _, version = ref.partition("@")
            row = rows.get(template_id)
            if row is None:
                continue  # lineage to a template this index does not hold (copied between registries)
            row["adopting"] += 1
            row["by_version"][version] = row["by_version"].get(version, 0) + 1
            row["regions"].add(entry.get("region"))
            if row["latest"] and _older(version, row["latest"]):
                row["behind_latest"] += 1
            if region is None or entry.get("region") == region:
                row["most_divergent"].append(
                    {
                        "package_id": package_id,
                        "version": entry.get("latest"),
                        "template_version": version,
                        "overlay_lines": int(info.get("overlay_lines", 0)),
                    }
                )
    result = []
    for row in sorted(rows.values(), key=lambda r: r["id"]):
        row["regions"] = len(row["regions"])
        row["most_divergent"] = sorted(row["most_divergent"], key=lambda p: (-p["overlay_lines"], p["package_id"]))[
            :top
        ]
        result.append(row)
    return result


def _older(version: str, latest: str) -> bool:
    try:
        return Version.parse(version) < Version.parse(latest)
    except ValueError:
        return False
