"""`mpphub adopt` writes a region's minimal overlay and lists what it must still supply; `mpphub templates`
lists templates with how many regions adopt each version (issue 11, item 4)."""

from __future__ import annotations

import json
import shutil
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
    (row,) = json.loads(listed.out)
    assert (row["id"], row["kind"], row["latest"], row["versions"]) == (
        "nasional/izin-penelitian",
        "service",
        "1.0.0",
        {"1.0.0": 1},
    )
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
