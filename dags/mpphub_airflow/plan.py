"""What the DAG file generates, from ``registry/index.json`` alone: the regions with published services,
their DAG ids, names, pools and mapping batches. Pure: no Airflow, no network, no database.

The index of a national registry (100,000 packages) is ~60 MB of JSON and takes over a second to parse;
the DAG processor parses the DAG file every few minutes. So the plan (region -> service ids, a few MB)
is cached in a small JSON file keyed by the index's path, inode, size and mtime: a republished index
(written atomically, so a new inode) is read again, an unchanged one is not.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

REGISTRY_ENV = "MPPHUB_REGISTRY"
CACHE_DIR_ENV = "MPPHUB_DAG_CACHE_DIR"
# Airflow's [core] max_map_length default: a mapped task never gets more items than this
MAX_MAP_LENGTH = 1024
PLAN_FORMAT = 1

_memo: dict[tuple[Any, ...], dict[str, list[str]]] = {}


def registry_dir() -> Path:
    """``MPPHUB_REGISTRY`` if set, else the ``registry/`` folder beside the DAG folder (this checkout)."""
    configured = os.environ.get(REGISTRY_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "registry"


def region_dag_id(region: str) -> str:
    """``35.76`` -> ``mpphub_sync_35_76``."""
    return "mpphub_sync_" + region.replace(".", "_")


def region_label(region: str) -> str:
    """The region as its operators name it, from the Kemendagri table the registry validates codes
    against: ``35.76`` -> ``Kota Mojokerto (35.76)``, ``35`` -> ``Provinsi Jawa Timur (35)``; a code the
    table does not hold (validation refuses those) -> ``wilayah 99.99``."""
    from registry.regions import region_table  # a dict literal: a few milliseconds, once per process

    found = region_table().get(region)
    if found is None:
        return f"wilayah {region}"
    return f"{'Provinsi ' if found.is_province else ''}{found.name} ({region})"


def pool_name(region: str) -> str:
    """The pool bounding one region's concurrent tasks: ``35.76`` -> ``mpphub_region_35_76``."""
    return "mpphub_region_" + region.replace(".", "_")


# Services one sync task runs as one cycle (``MPPHUB_DAG_SERVICES_PER_TASK``). One task per service was
# 100,000 task instances every five minutes at national size — more than Airflow's scheduler handles well,
# and each task paid its own start-up, ledger connection and package loading. A batch runs as one engine
# cycle (``SyncEngine.run_once``: the cycle's view, idle runs written once, a region feed read once, the
# services side by side with ``MPPHUB_SYNC_CONCURRENCY``): ~100,000 / 50 + a few per small region, about
# 2,500 task instances a cycle nationally.
SERVICES_PER_TASK_ENV = "MPPHUB_DAG_SERVICES_PER_TASK"
DEFAULT_SERVICES_PER_TASK = 50


def services_per_task() -> int:
    """``MPPHUB_DAG_SERVICES_PER_TASK`` (1 to 1,000), else 50."""
    text = os.environ.get(SERVICES_PER_TASK_ENV, "")
    return min(max(int(text), 1), 1000) if text.strip().isdigit() else DEFAULT_SERVICES_PER_TASK


def batches(items: list[str], limit: int = MAX_MAP_LENGTH, per_batch: int = 1) -> list[list[str]]:
    """Split ``items`` into batches of ``per_batch`` items (fewer in the last), or more per batch when
    that would make more than ``limit`` batches; as even as possible, order kept."""
    if not items:
        return []
    count = min(math.ceil(len(items) / max(per_batch, 1)), limit)
    size = math.ceil(len(items) / count)
    return [items[i : i + size] for i in range(0, len(items), size)]


def mapping_items(items: list[str], limit: int = MAX_MAP_LENGTH, per_batch: int = 1) -> list[str]:
    """What a task is mapped over: ``items`` themselves (``per_batch`` 1, while there are no more than
    ``limit``), else batches of them joined by commas (ids never hold one), at most ``limit``."""
    if per_batch <= 1 and len(items) <= limit:
        return list(items)
    return [",".join(batch) for batch in batches(items, limit, per_batch)]


def _index_key(index: Path) -> tuple[Any, ...]:
    stat = index.stat()
    return (str(index.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _cache_file(key: tuple[Any, ...]) -> Path:
    folder = Path(os.environ.get(CACHE_DIR_ENV) or tempfile.gettempdir())
    digest = hashlib.sha256(repr(key[0]).encode()).hexdigest()[:16]
    return folder / f"mpphub-dag-plan-{digest}.json"


# registry.index.save_index writes the index with indent=1 and sorted keys: a package id is then exactly
# a line `  "<id>": {` (two spaces: a key of "packages"; the top-level keys have one, entry fields three)
_CANONICAL_START = '{\n "index_format": "1",\n'
_PACKAGE_LINE = re.compile(r'\n  "([^"\\\n]+)": \{\n')
_PACKAGES_START = '\n "packages": {\n'


def _plan_from_index(index: Path) -> dict[str, list[str]]:
    """Region -> sorted service ids. The ids are read off the canonical layout without building the
    whole document (a third of the time and memory at 100,000 packages); any other layout is parsed as
    JSON. A package id starts with its region (rule ``region``), so the id says the region."""
    text = index.read_text(encoding="utf-8")
    start = text.find(_PACKAGES_START)
    end = text.find("\n }", start + len(_PACKAGES_START)) if start >= 0 else -1
    if text.startswith(_CANONICAL_START) and 0 <= start < end:
        # only the "packages" object: "templates" keys have the same two-space layout
        ids = _PACKAGE_LINE.findall(text, start + len(_PACKAGES_START) - 1, end + 1)
    else:
        data = json.loads(text)
        ids = list(data.get("packages", {}))
    del text
    regions: dict[str, list[str]] = {}
    for service_id in ids:
        regions.setdefault(service_id.partition("/")[0], []).append(service_id)
    return {region: sorted(found) for region, found in sorted(regions.items())}


def load_plan(registry: Path | None = None) -> dict[str, list[str]]:
    """Region code -> its published service ids (sorted), for the registry's ``index.json``.

    No index: no regions (the DAG file then defines only the catalogue and reconciliation DAGs).
    """
    index = (registry or registry_dir()) / "index.json"
    try:
        key = _index_key(index)
    except FileNotFoundError:
        return {}
    if key in _memo:
        return _memo[key]
    cache = _cache_file(key)
    plan: dict[str, list[str]] | None = None
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("format") == PLAN_FORMAT and tuple(cached.get("key", ())) == key:
            plan = cached["regions"]
    except (OSError, ValueError, AttributeError):
        plan = None
    if plan is None:
        plan = _plan_from_index(index)
        _write_cache(cache, {"format": PLAN_FORMAT, "key": list(key), "regions": plan})
    _memo.clear()
    _memo[key] = plan
    return plan


def _write_cache(cache: Path, content: dict[str, Any]) -> None:
    """Best effort and atomic: a read-only or full disk only costs the next parse the slow path."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=cache.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(content, f, separators=(",", ":"))
        Path(tmp).replace(cache)
    except OSError:
        pass
