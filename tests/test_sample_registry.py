"""The shipped sample registry: valid, published exactly as it stands, and as rich as promised."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from registry.index import load_index
from registry.publish import verify_index
from registry.versioning import sha256_hex
from tests.conftest import REPO

REGISTRY = REPO / "registry"
PACKAGES = sorted((REGISTRY / "packages").rglob("*.json"))
TEMPLATES = sorted((REGISTRY / "templates").rglob("*.json"))


def test_validate_registry_exits_0(cli: Any) -> None:
    result = cli("validate", REGISTRY, "--against-previous", "--registry", REGISTRY)
    assert result.code == 0, result.out
    assert result.out == f"{len(PACKAGES) + len(TEMPLATES)} files checked: all valid\n"


def test_every_working_copy_is_published_as_it_stands() -> None:
    index = load_index(REGISTRY)
    assert verify_index(REGISTRY) == []
    for path in PACKAGES:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entry = index["packages"][doc["id"]]
        assert entry["latest"] == doc["version"], path
        assert entry["versions"][doc["version"]]["sha256"] == sha256_hex(path.read_bytes()), (
            f"{path} changed since it was published: bump its version and run mpphub publish"
        )
    assert len(index["packages"]) == len(PACKAGES)
    for path in TEMPLATES:
        meta = json.loads(path.read_text(encoding="utf-8"))["template"]
        entry = index["templates"][meta["id"]]
        assert entry["latest"] == meta["version"], path
        assert entry["versions"][meta["version"]]["sha256"] == sha256_hex(path.read_bytes()), (
            f"{path} changed since it was published: bump its template.version and run mpphub publish"
        )
    assert TEMPLATES and len(index["templates"]) == len(TEMPLATES)


def test_kota_mojokerto_and_other_regions() -> None:
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in PACKAGES]
    mojokerto = [d for d in docs if d["region"] == "35.76"]
    assert len(mojokerto) >= 12
    assert len({d["service"]["category"] for d in mojokerto}) >= 5
    regions = Counter(d["region"] for d in docs)
    assert {"35.16", "35.78", "35"} <= set(regions)
    kinds = Counter(d["local_system"]["kind"] for d in docs)
    assert kinds["rest"] and kinds["sql"]
    strategies = Counter(d["local_system"]["idempotency"]["strategy"] for d in docs)
    assert strategies["key_header"] and strategies["lookup_by_reference"]
    styles = Counter(
        d["local_system"]["operations"]["status_changes"]["pagination"]["style"]
        for d in docs
        if d["local_system"]["kind"] == "rest"
    )
    assert len(styles) >= 2  # page numbers and cursors/links: the local API styles really differ


def test_demo_catalogue_lists_every_service(cli: Any) -> None:
    result = cli("catalogue", "--registry", REGISTRY, "--format", "json")
    assert result.code == 0
    assert len(result.json()) == len(PACKAGES)
    province = cli("catalogue", "--registry", REGISTRY, "--region", "35", "--format", "json").json()
    assert {row["region"] for row in province} >= {"35", "35.76", "35.16", "35.78"}
