"""List the registry's templates and connector profiles: how many packages adopt each version, how many
lag behind the latest, and (--divergent) the adopting packages with the longest overlays.

Published versions come from index.json (adoption counted over each package's latest published version);
working copies under templates/ are listed as drafts. Exit 0, or 2 when the registry cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub templates``."""
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    parser.add_argument(
        "--divergent", action="store_true", help="under each template, the adopting packages with the longest overlays"
    )


def template_rows(registry: Path) -> list[dict[str, Any]]:
    """One row per template: the standardisation figures of its published versions
    (``registry.standardisation``), plus the drafts in ``templates/``."""
    from registry.index import load_index
    from registry.semver import Version
    from registry.standardisation import standardisation
    from registry.templates import TemplateStore, _drafts, forget_cached_templates

    forget_cached_templates()
    rows = {row["id"]: row for row in standardisation(load_index(registry))}
    store = TemplateStore(registry)
    for template_id, version in _drafts(registry.resolve()):
        row = rows.get(template_id)
        if row is None:
            found = store.get(template_id, version)
            meta = found.doc.get("template", {}) if found else {}
            row = rows[template_id] = {
                "id": template_id,
                "kind": meta.get("kind", ""),
                "title": meta.get("title", {}),
                "latest": None,
                "adopting": 0,
                "by_version": {},
                "behind_latest": 0,
                "regions": 0,
                "most_divergent": [],
            }
        if version not in row["by_version"]:
            row.setdefault("drafts", []).append(version)
    for row in rows.values():
        row["drafts"] = sorted(row.get("drafts", []), key=Version.parse)
    return [rows[k] for k in sorted(rows)]


def run(args: argparse.Namespace) -> int:
    """Print the templates and return the exit code."""
    try:
        rows = template_rows(args.registry)
    except (OSError, ValueError) as exc:
        print(f"mpphub templates: cannot read {args.registry}: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"no templates in {args.registry} (write one under {args.registry}/templates/; see docs/templates.md)")
        return 0
    width = max(len(r["id"]) for r in rows)
    for row in rows:
        published = ", ".join(f"{v} ({n} adopting)" for v, n in row["by_version"].items()) or "not published"
        drafts = f"; drafts: {', '.join(row['drafts'])}" if row["drafts"] else ""
        behind = f"; {row['behind_latest']} behind {row['latest']}" if row["behind_latest"] else ""
        title = row["title"].get("id", "") if isinstance(row["title"], dict) else ""
        print(f"{row['id']:<{width}}  {row['kind']:<17}  {published}{behind}{drafts}  {title}")
        for package in row["most_divergent"][:3] if args.divergent else []:
            print(f"{'':<{width}}    {package['overlay_lines']:>4} lines  {package['package_id']} {package['version']}")
    return 0
