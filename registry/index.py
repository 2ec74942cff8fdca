"""The registry index (``registry/index.json``): every published package id with its versions, sha256
and catalogue metadata — the fast way the rest of the hub (catalogue, DAGs, dashboard) loads the registry
without reading 100,000 package files.

Layout of a registry folder::

    registry/
      index.json                               this index
      packages/<region>/<slug>.json            working copies that teams edit
      published/<region>/<slug>/<version>.json immutable published versions
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from registry.regions import DATASET_VERSION

INDEX_FORMAT = "1"


def empty_index() -> dict[str, Any]:
    """An index with no packages."""
    return {"index_format": INDEX_FORMAT, "region_dataset": DATASET_VERSION, "packages": {}}


def load_index(registry: Path) -> dict[str, Any]:
    """Read ``registry/index.json``; an absent file is an empty index."""
    path = registry / "index.json"
    if not path.exists():
        return empty_index()
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    if data.get("index_format") != INDEX_FORMAT:
        raise ValueError(f"{path}: unknown index_format {data.get('index_format')!r}")
    return data


def write_atomically(path: Path, content: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_index(registry: Path, index: dict[str, Any]) -> None:
    """Write the index deterministically (sorted keys) so that its diffs stay readable in review."""
    text = json.dumps(index, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_atomically(registry / "index.json", text.encode("utf-8"))


def published_path(package_id: str, version: str) -> str:
    """Where a published version lives, relative to the registry folder."""
    region, _, slug = package_id.partition("/")
    return f"published/{region}/{slug}/{version}.json"


def catalogue_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """The metadata the catalogue and the scheduler need without opening the package."""
    service = doc["service"]
    return {
        "region": doc["region"],
        "name": service["name"],
        "category": service["category"],
        "agency": service["agency"],
        "sla_working_days": service["sla_working_days"],
        "channels": service["channels"],
        "fee_idr": service["fee"].get("amount_idr", 0),
        "kind": doc["local_system"]["kind"],
    }


def load_published(registry: Path, index: dict[str, Any], package_id: str, version: str) -> dict[str, Any] | None:
    """The document of a published version, or None if the index does not list it."""
    entry = index["packages"].get(package_id, {}).get("versions", {}).get(version)
    if entry is None:
        return None
    with (registry / entry["path"]).open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data
