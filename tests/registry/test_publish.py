"""`mpphub publish` and `validate --against-previous`: immutable versions, the index, bump checks."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

from registry.index import load_index
from registry.publish import publish, verify_index


def _save(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_publish_writes_version_and_index(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    registry = tmp_path / "registry"
    source = _save(registry / "packages" / "35.76" / "akta-kelahiran.json", good_doc)
    result = cli("publish", "--registry", registry, source)
    assert result.code == 0, result.out
    assert result.out.startswith("35.76/akta-kelahiran 1.0.0: published (sha256 ")
    index = load_index(registry)
    entry = index["packages"]["35.76/akta-kelahiran"]
    assert entry["latest"] == "1.0.0"
    assert entry["category"] == "kependudukan" and entry["kind"] == "rest"
    published = registry / entry["versions"]["1.0.0"]["path"]
    assert published.read_bytes() == source.read_bytes()
    assert verify_index(registry) == []


def test_republishing_same_bytes_is_a_no_op(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    registry = tmp_path / "registry"
    source = _save(tmp_path / "35.76" / "akta-kelahiran.json", good_doc)
    assert cli("publish", "--registry", registry, source).code == 0
    before = (registry / "index.json").read_bytes()
    again = cli("publish", "--registry", registry, source)
    assert again.code == 0
    assert "already published with identical content" in again.out
    assert (registry / "index.json").read_bytes() == before


def test_same_version_other_content_is_refused(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    registry = tmp_path / "registry"
    source = _save(tmp_path / "35.76" / "akta-kelahiran.json", good_doc)
    assert cli("publish", "--registry", registry, source).code == 0
    good_doc["service"]["sla_working_days"] = 2
    _save(source, good_doc)
    result = cli("publish", "--registry", registry, source)
    assert result.code == 1
    assert "version 1.0.0 is already published with other content; published versions are immutable" in result.out
    assert "at least a minor bump" in result.out
    assert verify_index(registry) == []  # the published file is untouched


def test_bump_smaller_than_change_is_refused(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    registry = tmp_path / "registry"
    source = _save(tmp_path / "35.76" / "akta-kelahiran.json", good_doc)
    assert cli("publish", "--registry", registry, source).code == 0
    new = copy.deepcopy(good_doc)
    del new["form"]["properties"]["anak_ke"]
    del new["local_system"]["operations"]["submit"]["body"]["anak.anak_ke"]
    new["version"] = "1.0.1"
    _save(source, new)
    result = cli("publish", "--registry", registry, source)
    assert result.code == 1
    assert "1.0.0 -> 1.0.1 is a patch bump but the change is major: form field 'anak_ke' removed" in result.out
    new["version"] = "2.0.0"
    _save(source, new)
    assert cli("publish", "--registry", registry, source).code == 0
    assert load_index(registry)["packages"]["35.76/akta-kelahiran"]["latest"] == "2.0.0"


def test_lower_version_is_refused(good_doc: dict[str, Any], tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    source = _save(tmp_path / "35.76" / "akta-kelahiran.json", dict(good_doc, version="2.0.0"))
    assert publish(source, registry).outcome == "published"
    _save(source, dict(good_doc, version="1.5.0"))
    result = publish(source, registry)
    assert result.outcome == "refused"
    assert result.problems[0].message == "version 1.5.0 is not above the latest published version 2.0.0"


def test_invalid_package_is_never_published(good_doc: dict[str, Any], tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    good_doc["service"]["sla_working_days"] = 0
    result = publish(_save(tmp_path / "35.76" / "akta-kelahiran.json", good_doc), registry)
    assert result.outcome == "refused"
    assert not (registry / "index.json").exists()
    assert not (registry / "published").exists()


def test_validate_against_previous(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    registry = tmp_path / "registry"
    source = _save(registry / "packages" / "35.76" / "akta-kelahiran.json", good_doc)
    assert cli("publish", "--registry", registry, source).code == 0
    assert cli("validate", "--against-previous", "--registry", registry, source).code == 0
    good_doc["form"]["required"].append("anak_ke")
    good_doc["version"] = "1.1.0"
    _save(source, good_doc)
    assert cli("validate", source).code == 0  # on its own the package is fine
    result = cli("validate", "--against-previous", "--registry", registry, source)
    assert result.code == 1
    assert (
        f"{source}::$.version: 1.0.0 -> 1.1.0 is a minor bump but the change is major: form field 'anak_ke' is now required"
        in result.out
    )


def test_against_previous_needs_an_index(tmp_path: Path, cli: Any) -> None:
    result = cli("validate", "--against-previous", "--registry", tmp_path, tmp_path)
    assert result.code == 2
    assert "needs" in result.err


def test_concurrent_publishers_lose_no_update(good_doc: dict[str, Any], tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    files = []
    for i in range(8):
        files.append(_save(tmp_path / "src" / "35.76" / f"layanan-{i}.json", dict(good_doc, id=f"35.76/layanan-{i}")))
    threads = [threading.Thread(target=publish, args=(f, registry)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(load_index(registry)["packages"]) == 8


def test_verify_index_detects_an_edited_published_file(good_doc: dict[str, Any], tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    publish(_save(tmp_path / "35.76" / "akta-kelahiran.json", good_doc), registry)
    published = registry / "published" / "35.76" / "akta-kelahiran" / "1.0.0.json"
    published.write_text(published.read_text().replace('"sla_working_days": 3', '"sla_working_days": 1'))
    assert verify_index(registry) == [
        "35.76/akta-kelahiran 1.0.0: published/35.76/akta-kelahiran/1.0.0.json was changed after publishing"
    ]


def test_a_starter_placeholder_left_anywhere_is_refused_at_its_path(good_doc: dict[str, Any], tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    good_doc["contact"]["email"] = "layanan@example.go.id"
    good_doc["service"]["outputs"].append("Dokumen hasil layanan")
    good_doc["local_system"]["base_url"] = "https://layanan.example.go.id/api/v2"  # the starter's host, edited
    source = _save(tmp_path / "35.76" / "akta-kelahiran.json", good_doc)
    result = publish(source, registry)
    assert result.outcome == "refused"
    refused = [(p.path, p.rule) for p in result.problems]
    assert refused == [
        (f"$.service.outputs[{len(good_doc['service']['outputs']) - 1}]", "starter-placeholder"),
        ("$.local_system.base_url", "starter-placeholder"),
        ("$.contact.email", "starter-placeholder"),
    ]
    assert [found.value for found in result.placeholders] == [
        "Dokumen hasil layanan",
        "https://layanan.example.go.id/api/v2",
        "layanan@example.go.id",
    ]
    assert not (registry / "index.json").exists()
