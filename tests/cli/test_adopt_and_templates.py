"""`mpphub adopt` writes a region's minimal overlay and lists what it must still supply; `mpphub templates`
lists templates with how many regions adopt each version (issue 11, item 4)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.templates import forget_cached_templates

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = json.loads((ROOT / "registry/packages/35.76/izin-penelitian.json").read_text(encoding="utf-8"))


@pytest.fixture
def registry(tmp_path: Path, cli: Any) -> Path:
    """A registry holding the sample template, published."""
    forget_cached_templates()
    root = tmp_path / "registry"
    shutil.copytree(ROOT / "registry/templates", root / "templates")
    assert cli("publish", "--registry", root, root / "templates/nasional/izin-penelitian.json").code == 0
    return root


def test_adopt_writes_a_minimal_overlay_and_lists_what_is_missing(registry: Path, cli: Any) -> None:
    result = cli("adopt", "nasional/izin-penelitian", "35.78", "--registry", registry)
    assert result.code == 1, result.out + result.err
    written = registry / "packages/35.78/izin-penelitian.json"
    overlay = json.loads(written.read_text(encoding="utf-8"))
    assert overlay == {
        "schema_version": "1",
        "id": "35.78/izin-penelitian",
        "version": "1.0.0",
        "region": "35.78",
        "extends": {"template": "nasional/izin-penelitian", "version": "1.0.0"},
    }
    missing = [line for line in result.out.splitlines() if line.startswith(str(written))]
    assert [line.rsplit(": ", 1)[1] for line in missing] == [
        "missing required field 'local_system'",
        "missing required field 'contact'",
        "missing required field 'agency'",
        "missing required field 'description'",
    ]
    assert "4 values still to supply" in result.out
    again = cli("adopt", "nasional/izin-penelitian", "35.78", "--registry", registry)
    assert again.code == 2 and "exists (use --force" in again.err  # never overwritten silently
    assert json.loads(written.read_text(encoding="utf-8")) == overlay


def test_adopt_with_every_value_is_complete_and_valid(registry: Path, cli: Any, tmp_path: Path) -> None:
    local = dict(HAND_WRITTEN["local_system"], auth={"type": "bearer", "secret_ref": "R3578_BAKESBANGPOL_TOKEN"})
    sets = {
        "service.agency": "Badan Kesatuan Bangsa dan Politik Kota Surabaya",
        "service.description": json.dumps(HAND_WRITTEN["service"]["description"]),
        "local_system": json.dumps(local),
        "contact": json.dumps(HAND_WRITTEN["contact"]),
        "service.sla_working_days": "3",
    }
    args = [f"{k}={v}" for k, v in sets.items()]
    result = cli(
        "adopt", "nasional/izin-penelitian", "35.78", "--registry", registry, *[a for s in args for a in ("--set", s)]
    )
    assert result.code == 0, result.out + result.err
    assert "complete: the composed package is valid" in result.out
    written = registry / "packages/35.78/izin-penelitian.json"
    assert json.loads(written.read_text(encoding="utf-8"))["service"]["sla_working_days"] == 3  # JSON value
    assert cli("validate", written).code == 0
    assert cli("publish", "--registry", registry, written).code == 0
    listed = cli("templates", "--registry", registry, "--format", "json")
    assert listed.code == 0
    row = next(r for r in json.loads(listed.out) if r["id"] == "nasional/izin-penelitian")
    assert (row["id"], row["kind"], row["latest"], row["by_version"], row["behind_latest"]) == (
        "nasional/izin-penelitian",
        "service",
        "1.0.0",
        {"1.0.0": 1},
        0,
    )
    assert row["most_divergent"] == [
        {
            "package_id": "35.78/izin-penelitian",
            "version": "1.0.0",
            "template_version": "1.0.0",
            "overlay_lines": written.read_bytes().count(b"\n"),
        }
    ]
    text = cli("templates", "--registry", registry)
    assert "nasional/izin-penelitian" in text.out and "1.0.0 (1 adopting)" in text.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nasional/izin-penelitian", "35.99"], "region '35.99' is not a Kemendagri region code"),
        (["nasional/izin-riset", "35.78"], "template nasional/izin-riset not found"),
        (["nasional/izin-penelitian", "35.78", "--version", "9.9.9"], "versions: 1.0.0"),
        (["nasional/izin-penelitian", "35.78", "--set", "agency"], "expected PATH=VALUE"),
    ],
)
def test_adopt_usage_errors_exit_2_and_write_nothing(registry: Path, cli: Any, args: list[str], message: str) -> None:
    result = cli("adopt", *args, "--registry", registry)
    assert result.code == 2 and message in result.err, result.err
    assert not (registry / "packages").exists()


def test_dry_run_prints_the_overlay_only(registry: Path, cli: Any) -> None:
    result = cli("adopt", "nasional/izin-penelitian", "35.16", "--registry", registry, "--dry-run")
    assert result.code == 1
    assert json.loads(result.out.split("\n}\n", 1)[0] + "\n}")["id"] == "35.16/izin-penelitian"
    assert not (registry / "packages").exists()


def test_templates_on_an_empty_registry(tmp_path: Path, cli: Any) -> None:
    result = cli("templates", "--registry", tmp_path)
    assert result.code == 0 and "no templates" in result.out


def _complete_overlay(registry: Path, cli: Any, region: str = "35.78") -> Path:
    local = dict(HAND_WRITTEN["local_system"], auth={"type": "bearer", "secret_ref": f"R{region.replace('.', '')}_X"})
    sets = {
        "service.agency": "Badan Kesatuan Bangsa dan Politik",
        "service.description": json.dumps(HAND_WRITTEN["service"]["description"]),
        "local_system": json.dumps(local),
        "contact": json.dumps(HAND_WRITTEN["contact"]),
    }
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    assert cli("adopt", "nasional/izin-penelitian", region, "--registry", registry, *args).code == 0
    return registry / f"packages/{region}/izin-penelitian.json"


def _publish_template_version(registry: Path, cli: Any, version: str, change: Callable[[dict[str, Any]], None]) -> None:
    source = registry / "templates/nasional/izin-penelitian.json"
    doc = json.loads(source.read_text(encoding="utf-8"))
    doc["template"]["version"] = version
    change(doc)
    source.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert cli("publish", "--registry", registry, source).code == 0


def test_upgrade_moves_to_the_latest_template_and_bumps_by_what_changed(registry: Path, cli: Any) -> None:
    package = _complete_overlay(registry, cli)
    assert cli("publish", "--registry", registry, package).code == 0
    # 1.1.0 adds an optional form field: a minor change for every adopting region
    _publish_template_version(
        registry,
        cli,
        "1.1.0",
        lambda t: t["form"]["properties"].update(orcid={"type": "string", "title": "ORCID", "maxLength": 19}),
    )
    listed = json.loads(cli("templates", "--registry", registry, "--format", "json").out)
    row = next(r for r in listed if r["id"] == "nasional/izin-penelitian")
    assert (row["latest"], row["by_version"], row["behind_latest"]) == ("1.1.0", {"1.0.0": 1, "1.1.0": 0}, 1)
    assert "1 behind 1.1.0" in cli("templates", "--registry", registry).out
    dry = cli("upgrade", package, "--registry", registry, "--dry-run")
    assert dry.code == 0, dry.out + dry.err
    assert "would move nasional/izin-penelitian@1.0.0 -> nasional/izin-penelitian@1.1.0" in dry.out
    assert json.loads(package.read_text(encoding="utf-8"))["extends"]["version"] == "1.0.0"  # untouched
    done = cli("upgrade", "35.78/izin-penelitian", "--registry", registry)  # by id, too
    assert done.code == 0, done.out + done.err
    assert "minor  $.form.properties.orcid" in done.out
    assert "change for this region: minor; version 1.0.0 -> 1.1.0" in done.out
    overlay = json.loads(package.read_text(encoding="utf-8"))
    assert (overlay["extends"]["version"], overlay["version"]) == ("1.1.0", "1.1.0")
    assert cli("validate", package, "--against-previous", "--registry", registry).code == 0
    assert cli("publish", "--registry", registry, package).code == 0
    again = cli("upgrade", package, "--registry", registry)
    assert again.code == 2 and "the latest: nothing to upgrade" in again.err


def test_upgrade_refuses_a_version_whose_new_lock_the_overlay_breaks(registry: Path, cli: Any) -> None:
    package = _complete_overlay(registry, cli)
    overlay = json.loads(package.read_text(encoding="utf-8"))
    overlay["service"]["sla_working_days"] = 10
    package.write_text(json.dumps(overlay, indent=2) + "\n", encoding="utf-8")
    _publish_template_version(
        registry, cli, "2.0.0", lambda t: t["template"]["locked"].update({"/service/sla_working_days": "fixed"})
    )
    result = cli("upgrade", package, "--registry", registry)
    assert result.code == 1
    assert "locks /service/sla_working_days (fixed)" in result.out and "not upgraded" in result.out
    assert json.loads(package.read_text(encoding="utf-8"))["extends"]["version"] == "1.0.0"  # nothing written


def test_onboard_writes_a_whole_region_and_lists_what_is_missing(registry: Path, cli: Any, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "registry/templates", registry / "templates", dirs_exist_ok=True)  # drafts of all
    forget_cached_templates()
    existing = _complete_overlay(registry, cli, "35.02")
    before = existing.read_bytes()
    contact = json.dumps({"unit": "DPMPTSP Kabupaten Ponorogo", "email": "dpmptsp@ponorogo.go.id"})
    result = cli("onboard", "35.02", "--templates", "all", "--registry", registry, "--set", f"contact={contact}")
    assert result.code == 1, result.out + result.err
    written = sorted(p.name for p in (registry / "packages/35.02").glob("*.json"))
    assert written == sorted(
        p.name
        for p in (ROOT / "registry/templates/nasional").glob("*.json")
        if p.name not in ("sipena.json", "simpel.json")  # connector profiles are not onboarded as services
    )
    assert existing.read_bytes() == before and f"{existing}: exists, left alone" in result.out
    assert "35.02: wrote 7 overlays, 1 left alone" in result.out
    assert "missing required field 'contact'" not in result.out  # --set went into every overlay
    assert "still to supply in 7 files" in result.out
    listed = tmp_path / "list.txt"
    listed.write_text("# Dukcapil first\nnasional/akta-kelahiran 1.0.0\n\nnasional/akta-kematian\n", encoding="utf-8")
    some = cli("onboard", "35.03", "--templates", listed, "--registry", registry, "--dry-run")
    assert some.code == 1 and "35.03: would write 2 overlays, 0 left alone" in some.out
    assert not (registry / "packages/35.03").exists()
