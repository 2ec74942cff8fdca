"""List the registry's templates and connector profiles, with how many regions adopt each version.

Published versions come from index.json (adoption counted over each package's latest published version);
working copies under templates/ are listed as drafts. Exit 0, or 2 when the registry cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub templates``."""
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")


def template_rows(registry: Path) -> list[dict[str, Any]]:
    """One row per template: id, kind, title, latest, published versions with their adopting regions, drafts."""
    from registry.index import load_index
    from registry.semver import Version
    from registry.templates import TemplateStore, forget_cached_templates

    forget_cached_templates()
    index = load_index(registry)
    adopters: dict[str, Counter[str]] = {}
    for entry in index["packages"].values():
        info = entry["versions"].get(entry.get("latest"), {})
        for key in ("template", "profile"):
            if isinstance(info.get(key), str):
                template_id, _, version = info[key].partition("@")
                adopters.setdefault(template_id, Counter())[version] += 1
    store = TemplateStore(registry)
    published = index.get("templates", {})
    ids = sorted(set(published) | {i for (i, _v) in _draft_ids(registry)})
    rows = []
    for template_id in ids:
        entry = published.get(template_id, {})
        versions = sorted(entry.get("versions", {}), key=Version.parse)
        drafts = sorted((v for v in store.versions(template_id) if v not in versions), key=Version.parse)
        any_version = store.get(template_id, (versions or drafts)[-1])
        meta = any_version.doc.get("template", {}) if any_version else {}
        rows.append(
            {
                "id": template_id,
                "kind": meta.get("kind", entry.get("kind", "")),
                "title": meta.get("title", entry.get("title", {})),
                "latest": entry.get("latest"),
                "versions": {v: adopters.get(template_id, Counter())[v] for v in versions},
                "drafts": drafts,
            }
        )
    return rows


def _draft_ids(registry: Path) -> list[tuple[str, str]]:
    from registry.templates import _drafts

    return list(_drafts(registry.resolve()))


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
        published = ", ".join(f"{v} ({n} adopting)" for v, n in row["versions"].items()) or "not published"
        drafts = f"; drafts: {', '.join(row['drafts'])}" if row["drafts"] else ""
        title = row["title"].get("id", "") if isinstance(row["title"], dict) else ""
        print(f"{row['id']:<{width}}  {row['kind']:<17}  {published}{drafts}  {title}")
    return 0
