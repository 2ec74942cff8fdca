"""The catalogue view of a registry index: one row per package, its latest version."""

from __future__ import annotations

from typing import Any


def catalogue_rows(
    index: dict[str, Any], region: str | None = None, category: str | None = None, text: str | None = None
) -> list[dict[str, Any]]:
    """Rows sorted by region then id; ``region`` '35' matches 35 and 35.xx."""
    needle = text.casefold() if text else None
    rows = []
    for package_id, entry in sorted(index["packages"].items(), key=lambda kv: (kv[1]["region"], kv[0])):
        if region and entry["region"] != region and not entry["region"].startswith(region + "."):
            continue
        if category and entry["category"] != category:
            continue
        names = entry["name"]
        if needle and needle not in names["id"].casefold() and needle not in names["en"].casefold():
            continue
        rows.append(
            {
                "id": package_id,
                "version": entry["latest"],
                **{k: v for k, v in entry.items() if k != "versions" and k != "latest"},
            }
        )
    return rows
