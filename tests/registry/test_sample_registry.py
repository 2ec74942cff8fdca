"""The shipped sample registry: valid, published exactly as it stands, and as rich as promised."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from registry.index import load_index
from registry.publish import canonical_bytes, verify_index
from registry.regions import region_table
from registry.validate import compose_package
from registry.versioning import sha256_hex
from tests.conftest import REPO

REGISTRY = REPO / "registry"
PACKAGES = sorted((REGISTRY / "packages").rglob("*.json"))
TEMPLATES = sorted((REGISTRY / "templates").rglob("*.json"))


def _published_form(path: Any, doc: dict[str, Any]) -> bytes:
    """The bytes ``mpphub publish`` writes for a working copy: the file itself, or for an overlay (a
    package with ``extends``) its composition with the template and profile."""
    if "extends" not in doc:
        return bytes(path.read_bytes())
    composition = compose_package(path, doc)
    assert composition.doc is not None and not composition.problems, (path, composition.problems)
    return canonical_bytes(composition.doc)


def _whole(path: Any) -> dict[str, Any]:
    """A working copy as the hub sees it: composed when it adopts a template."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return json.loads(_published_form(path, doc)) if "extends" in doc else doc


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
        version = entry["versions"][doc["version"]]
        assert version["sha256"] == sha256_hex(_published_form(path, doc)), (
            f"{path} (or the template it extends) changed since it was published: bump its version and run"
            " mpphub publish"
        )
        assert (REGISTRY / version["path"]).read_bytes() == _published_form(path, doc), path
        if "extends" in doc:  # the lineage, as publish records it
            extends = doc["extends"]
            assert version["template"] == f"{extends['template']}@{extends['version']}", path
            profile = extends.get("profile")
            assert version.get("profile") == (profile and f"{profile['template']}@{profile['version']}"), path
        else:
            assert "template" not in version and "profile" not in version, path
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
    docs = [_whole(p) for p in PACKAGES]
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


def test_jawa_timur_regions_adopt_the_national_templates() -> None:
    """Both forms side by side: hand-written packages, and regions that adopt a national template with a
    short overlay (ten regencies/cities run SIPENA for research permits, a 13-line file each)."""
    raw = {p: json.loads(p.read_text(encoding="utf-8")) for p in PACKAGES}
    adopting = {p: d for p, d in raw.items() if "extends" in d}
    assert len(adopting) < len(raw)  # hand-written packages stay
    regions = {d["region"] for d in adopting.values()}
    table = region_table()
    assert len(regions) >= 10
    for code in regions:
        region = table.get(code)
        assert region is not None and not region.is_province and code.startswith("35."), code
    sipena = [
        (p, d)
        for p, d in adopting.items()
        if d["extends"]["template"] == "nasional/izin-penelitian"
        and d["extends"].get("profile", {}).get("template") == "nasional/sipena"
    ]
    assert len({d["region"] for _, d in sipena}) >= 10
    for path, doc in sipena:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 13, path
        code = doc["region"].replace(".", "")
        assert doc["local_system"]["auth"]["secret_ref"] == f"R{code}_BAKESBANGPOL_TOKEN", path
    assert {d["extends"]["template"] for d in adopting.values()} > {"nasional/izin-penelitian"}
    systems = [_whole(p)["local_system"] for p in adopting]
    urls = [s["base_url"] for s in systems if "base_url" in s]
    assert len(set(urls)) == len(urls)  # every region its own system
    # an SQL profile's packages of one region share its one database (tests/registry/test_shared_sql_profile.py)
    databases = {
        (doc["region"], s["connection_ref"])
        for doc, s in zip(adopting.values(), systems, strict=True)
        if "connection_ref" in s
    }
    assert len({ref for _, ref in databases}) == len(databases)
