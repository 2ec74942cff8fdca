"""``mpphub status --templates``: how standard the nation's (or one region's) packages are, per template —
regions adopting it, by version, how many lag behind the latest, and the most divergent packages (the
longest overlays). Read from the registry's ``index.json`` (``registry.standardisation``), never the
ledger: a coordinator sees standardisation before any region has synced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def templates_document(registry: Path, region: str | None, top: int = 5) -> dict[str, Any]:
    """The standardisation rows of ``registry`` as the API serves them (counts national; with ``region``,
    the divergent packages listed are that region's only), plus the region's own adoptions per template."""
    from registry.index import load_index
    from registry.standardisation import standardisation

    index = load_index(registry)
    rows = standardisation(index, top=top, region=region)
    if region is not None:
        mine = _region_adoptions(index, region)
        for row in rows:
            row["region_adopting"] = mine.get(row["id"], {})
    return {"region": region, "templates": rows}


def _region_adoptions(index: dict[str, Any], region: str) -> dict[str, dict[str, int]]:
    """template id -> {template version: packages of ``region`` built on it} (over latest versions)."""
    found: dict[str, dict[str, int]] = {}
    for entry in index.get("packages", {}).values():
        if entry.get("region") != region:
            continue
        info = entry.get("versions", {}).get(entry.get("latest"), {})
        for key in ("template", "profile"):
            ref = info.get(key)
            if isinstance(ref, str):
                template_id, _, version = ref.partition("@")
                by_version = found.setdefault(template_id, {})
                by_version[version] = by_version.get(version, 0) + 1
    return found


def print_templates(document: dict[str, Any], output_format: str) -> None:
    """Print the document as JSON, or as a table with the divergent packages under each template."""
    from hub.health.view import table

    if output_format == "json":
        print(json.dumps(document, ensure_ascii=False))
        return
    rows = document["templates"]
    region = document["region"]
    if not rows:
        print("no published templates (see docs/templates.md)")
        return
    header = ["TEMPLATE", "KIND", "LATEST", "ADOPTING", "REGIONS", "BY VERSION", "BEHIND"]
    if region:
        header.append(f"IN {region}")
    lines = []
    for row in rows:
        by_version = ", ".join(f"{v}: {n}" for v, n in row["by_version"].items()) or "-"
        line = [
            row["id"],
            row["kind"],
            row["latest"] or "-",
            str(row["adopting"]),
            str(row["regions"]),
            by_version,
            str(row["behind_latest"]),
        ]
        if region:
            line.append(", ".join(f"{v}: {n}" for v, n in row["region_adopting"].items()) or "-")
        lines.append(line)
    print(table(lines, header))
    divergent = [row for row in rows if row["most_divergent"]]
    if divergent:
        whose = f"{region}'s packages" if region else "packages"
        print(f"most divergent {whose} (lines of overlay):")
    for row in divergent:
        print(f"  {row['id']}")
        for package in row["most_divergent"]:
            behind = " (behind)" if _older(package["template_version"], row["latest"]) else ""
            print(
                f"    {package['overlay_lines']:>4} lines  {package['package_id']} {package['version']}"
                f" on {package['template_version']}{behind}"
            )
    adopting = sum(row["adopting"] for row in rows if row["kind"] == "service")
    behind = sum(row["behind_latest"] for row in rows)
    print(f"{len(rows)} templates; {adopting} packages adopt a service template, {behind} behind a latest version")


def _older(version: str, latest: str | None) -> bool:
    from registry.semver import Version

    try:
        return latest is not None and Version.parse(version) < Version.parse(latest)
    except ValueError:
        return False
