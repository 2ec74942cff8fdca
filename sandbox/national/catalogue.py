"""The national catalogue: immutable published package versions (publish, read, list, seed)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from registry.index import load_index
from sandbox.national.errors import Conflict, NotFound
from sandbox.national.store import Store, bump, utc_now

PUBLICATION_FIELDS = ("id", "version", "region", "service", "form")


def canonical_sha256(document: Any) -> str:
    """Lowercase hex sha256 of the canonical JSON (UTF-8, sorted keys, no insignificant whitespace)."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(row["document"])
    return {**document, "sha256": row["sha256"], "published_at": row["published_at"]}


def publish(store: Store, publication: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Store one package version; (entry, created). Same content again is a no-op; other content is a Conflict."""
    sha = canonical_sha256(publication)
    key = (publication["id"], publication["version"])
    select = "SELECT * FROM catalogue WHERE package_id = ? AND version = ?"
    with store.write() as conn:
        row = conn.execute(select, key).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO catalogue (package_id, version, region, category, sha256, document, published_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    publication["region"],
                    str(publication["service"].get("category", "")),
                    sha,
                    json.dumps(publication, ensure_ascii=False, sort_keys=True),
                    utc_now(),
                ),
            )
            bump(conn, "catalogue_published")
            return _entry(conn.execute(select, key).fetchone()), True
        if row["sha256"] == sha:
            conn.execute("UPDATE catalogue SET publish_count = publish_count + 1 WHERE seq = ?", (row["seq"],))
            bump(conn, "catalogue_republished")
            return _entry(row), False
        bump(conn, "catalogue_conflicts")
        stored = row["sha256"]
    raise Conflict(  # after the commit, so that the conflict is counted
        f"{key[0]} {key[1]} is already published with other content; published versions are immutable: "
        "publish a new version",
        conflict={"id": key[0], "version": key[1], "sha256": stored},
    )


def get_entry(store: Store, package_id: str, version: str) -> dict[str, Any]:
    """One published version; NotFound otherwise."""
    row = (
        store.connection()
        .execute("SELECT * FROM catalogue WHERE package_id = ? AND version = ?", (package_id, version))
        .fetchone()
    )
    if row is None:
        raise NotFound(f"{package_id} {version} is not in the national catalogue")
    return _entry(row)


def _version_key(version: str) -> tuple[int, ...]:
    core = version.split("-", 1)[0].split("+", 1)[0]
    return tuple(int(p) for p in core.split(".") if p.isdigit())


def get_service(store: Store, package_id: str) -> dict[str, Any]:
    """Every published version of one service, with the latest."""
    rows = (
        store.connection()
        .execute("SELECT version, sha256, published_at, region FROM catalogue WHERE package_id = ?", (package_id,))
        .fetchall()
    )
    if not rows:
        raise NotFound(f"{package_id} is not in the national catalogue")
    versions = sorted(rows, key=lambda r: _version_key(r["version"]))
    return {
        "id": package_id,
        "region": rows[0]["region"],
        "latest": versions[-1]["version"],
        "versions": [
            {"version": r["version"], "sha256": r["sha256"], "published_at": r["published_at"]} for r in versions
        ],
    }


def list_page(
    store: Store, after: int, limit: int, region: str | None = None, category: str | None = None
) -> tuple[list[dict[str, Any]], int, bool]:
    """Catalogue summaries after position ``after``, in publication order: (items, last position, has_more)."""
    sql, args = "SELECT * FROM catalogue WHERE seq > ?", list[Any]([after])
    if region is not None:
        sql, args = sql + " AND region = ?", [*args, region]
    if category is not None:
        sql, args = sql + " AND category = ?", [*args, category]
    rows = store.connection().execute(sql + " ORDER BY seq LIMIT ?", [*args, limit + 1]).fetchall()
    items = []
    for row in rows[:limit]:
        doc = json.loads(row["document"])
        items.append(
            {
                "id": row["package_id"],
                "version": row["version"],
                "region": row["region"],
                "name": doc["service"].get("name", {}),
                "category": row["category"],
                "sha256": row["sha256"],
                "published_at": row["published_at"],
            }
        )
    last = rows[min(len(rows), limit) - 1]["seq"] if rows else after
    return items, last, len(rows) > limit


def publication_of(package: dict[str, Any]) -> dict[str, Any]:
    """What the hub publishes of a package document (never its ``local_system``)."""
    return {name: package[name] for name in PUBLICATION_FIELDS}


def seed_from_registry(store: Store, registry_dir: str | Path) -> int:
    """Publish every version listed in ``<registry_dir>/index.json`` (idempotent); the number of versions."""
    registry = Path(registry_dir)
    count = 0
    for package_id, entry in sorted(load_index(registry)["packages"].items()):
        for version, info in sorted(entry.get("versions", {}).items()):
            with (registry / info["path"]).open(encoding="utf-8") as f:
                package = json.load(f)
            if package.get("id") != package_id or package.get("version") != version:
                continue
            try:
                get_entry(store, package_id, version)
            except NotFound:
                publish(store, publication_of(package))  # a different stored content raises Conflict: say so
            count += 1
    return count


def form_of(store: Store, package_id: str, version: str) -> dict[str, Any] | None:
    """The form of a published version, or None."""
    row = (
        store.connection()
        .execute("SELECT document FROM catalogue WHERE package_id = ? AND version = ?", (package_id, version))
        .fetchone()
    )
    if row is None:
        return None
    form: dict[str, Any] = json.loads(row["document"])["form"]
    return form
