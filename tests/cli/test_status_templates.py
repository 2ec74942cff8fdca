"""`mpphub status --templates`: coordinators see standardisation — per template, regions adopting it, by
version, how many behind the latest, the most divergent packages; region-scoped with --region (issue 11,
item 5). Read from the registry's index: no ledger is needed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from registry.templates import forget_cached_templates

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = json.loads((ROOT / "registry/packages/35.76/izin-penelitian.json").read_text(encoding="utf-8"))


def _adopt_and_publish(registry: Path, cli: Any, region: str, extra: dict[str, Any] | None = None) -> Path:
    local = dict(HAND_WRITTEN["local_system"], auth={"type": "bearer", "secret_ref": f"R{region.replace('.', '')}_X"})
    sets = {
        "service.agency": "Badan Kesatuan Bangsa dan Politik",
        "service.description": json.dumps(HAND_WRITTEN["service"]["description"]),
        "local_system": json.dumps(local),
        "contact": json.dumps(HAND_WRITTEN["contact"]),
        **{k: json.dumps(v) for k, v in (extra or {}).items()},
    }
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    assert cli("adopt", "nasional/izin-penelitian", region, "--registry", registry, *args).code == 0
    package = registry / f"packages/{region}/izin-penelitian.json"
    assert cli("publish", "--registry", registry, package).code == 0
    return package


@pytest.fixture
def registry(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three regions adopt nasional/izin-penelitian 1.0.0; 1.1.0 is published and 35.02 moves to it.
    The ledger URL points nowhere: --templates must not need it."""
    forget_cached_templates()
    root = tmp_path / "registry"
    shutil.copytree(ROOT / "registry/templates", root / "templates")
    source = root / "templates/nasional/izin-penelitian.json"
    assert cli("publish", "--registry", root, source).code == 0
    assert cli("publish", "--registry", root, root / "templates/nasional/akta-kelahiran.json").code == 0
    _adopt_and_publish(root, cli, "35.78", {"service.sla_working_days": 3, "service.channels": ["online"]})
    _adopt_and_publish(root, cli, "35.02")
    _adopt_and_publish(root, cli, "35.03")
    doc = json.loads(source.read_text(encoding="utf-8"))
    doc["template"]["version"] = "1.1.0"
    doc["form"]["properties"]["orcid"] = {"type": "string", "title": "ORCID", "maxLength": 19}
    source.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert cli("publish", "--registry", root, source).code == 0
    assert cli("upgrade", "35.02/izin-penelitian", "--registry", root).code == 0
    assert cli("publish", "--registry", root, root / "packages/35.02/izin-penelitian.json").code == 0
    monkeypatch.setenv("MPPHUB_LEDGER_URL", f"sqlite:///{tmp_path / 'absent' / 'ledger.db'}")
    return root


def _row(document: dict[str, Any], template_id: str) -> dict[str, Any]:
    return next(r for r in document["templates"] if r["id"] == template_id)


def test_json_counts_regions_versions_and_the_ones_behind(registry: Path, cli: Any) -> None:
    result = cli("status", "--templates", "--registry", registry, "--format", "json")
    assert result.code == 0, result.out + result.err
    document = json.loads(result.out)
    row = _row(document, "nasional/izin-penelitian")
    assert (row["latest"], row["adopting"], row["regions"]) == ("1.1.0", 3, 3)
    assert row["by_version"] == {"1.0.0": 2, "1.1.0": 1}
    assert row["behind_latest"] == 2
    # 35.78's overlay says more (SLA, channels): it diverges most
    assert row["most_divergent"][0]["package_id"] == "35.78/izin-penelitian"
    lines = [p["overlay_lines"] for p in row["most_divergent"]]
    assert lines == sorted(lines, reverse=True) and lines[0] > lines[-1]
    assert document["region"] is None


def test_text_lists_each_template_and_its_divergent_packages(registry: Path, cli: Any) -> None:
    result = cli("status", "--templates", "--registry", registry)
    assert result.code == 0, result.err
    line = next(x for x in result.out.splitlines() if x.startswith("nasional/izin-penelitian"))
    assert line.split()[1:5] == ["service", "1.1.0", "3", "3"]
    assert "1.0.0: 2, 1.1.0: 1" in line and line.rstrip().endswith("2")
    assert "35.78/izin-penelitian 1.0.0 on 1.0.0 (behind)" in result.out
    assert "35.02/izin-penelitian 1.1.0 on 1.1.0\n" in result.out  # on the latest: not marked
    assert "2 behind a latest version" in result.out


def test_region_scope_lists_only_that_regions_packages(registry: Path, cli: Any) -> None:
    document = json.loads(
        cli("status", "--templates", "--region", "35.02", "--registry", registry, "--format", "json").out
    )
    row = _row(document, "nasional/izin-penelitian")
    assert row["adopting"] == 3  # counts stay national, as the API gives them
    assert [p["package_id"] for p in row["most_divergent"]] == ["35.02/izin-penelitian"]
    assert row["region_adopting"] == {"1.1.0": 1}
    assert _row(document, "nasional/akta-kelahiran")["region_adopting"] == {}
    text = cli("status", "--templates", "--region", "35.02", "--registry", registry).out
    assert "35.78/izin-penelitian" not in text and "IN 35.02" in text


def test_registry_comes_from_the_settings_and_a_bad_region_is_refused(
    registry: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPPHUB_REGISTRY", str(registry))
    assert '"1.1.0": 1' in cli("status", "--templates", "--format", "json").out
    refused = cli("status", "--templates", "--region", "99.99")
    assert refused.code == 2 and "unknown region '99.99'" in refused.err and refused.out == ""


def test_an_unreadable_index_is_a_clear_error(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "index.json").write_text('{"index_format": "from the future"}', encoding="utf-8")
    result = cli("status", "--templates", "--registry", tmp_path)
    assert result.code == 2 and "cannot read the registry's index" in result.err
    empty = cli("status", "--templates", "--registry", tmp_path / "none")
    assert empty.code == 0 and "no published templates" in empty.out
