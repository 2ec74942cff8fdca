"""`mpphub init`: a valid starter package from flags or prompts, never overwriting by accident."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.validate import validate_file


@pytest.mark.parametrize("kind", ["rest", "sql"])
def test_init_writes_a_valid_package(kind: str, tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "packages" / "35.76" / "izin-reklame.json"
    result = cli(
        "init",
        "35.76",
        "izin-reklame",
        "--out",
        out,
        "--no-input",
        "--kind",
        kind,
        "--name-id",
        "Izin Reklame",
        "--name-en",
        "Billboard Permit",
        "--category",
        "perizinan-usaha",
        "--sla",
        "7",
        "--fee",
        "250000",
        "--fee-legal-basis",
        "Perda Kota Mojokerto Nomor 5 Tahun 2023",
    )
    assert result.code == 0, result.err
    assert validate_file(out).problems == []
    doc = json.loads(out.read_text())
    assert doc["id"] == "35.76/izin-reklame"
    assert doc["service"]["fee"] == {
        "type": "paid",
        "amount_idr": 250000,
        "legal_basis": "Perda Kota Mojokerto Nomor 5 Tahun 2023",
    }
    assert doc["local_system"]["kind"] == kind
    assert doc["service"]["sla_working_days"] == 7


def test_init_refuses_to_overwrite(tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "x.json"
    out.write_text("{}")
    result = cli("init", "35.76", "izin-reklame", "--out", out, "--no-input")
    assert result.code == 2
    assert "exists; use --force" in result.err
    assert out.read_text() == "{}"
    assert cli("init", "35.76", "izin-reklame", "--out", out, "--no-input", "--force").code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["35.99", "izin"], "unknown region '35.99'; did you mean"),
        (["35.76", "Izin Reklame"], "SLUG must be lowercase letters"),
        (["35.76", "izin", "--category", "lain"], "--category must be one of"),
    ],
)
def test_init_usage_errors(args: list[str], message: str, tmp_path: Path, cli: Any) -> None:
    result = cli("init", *args, "--out", tmp_path / "x.json", "--no-input")
    assert result.code == 2
    assert message in result.err
    assert not (tmp_path / "x.json").exists()


def test_init_rejects_values_that_make_an_invalid_package(tmp_path: Path, cli: Any) -> None:
    result = cli(
        "init", "35.76", "izin", "--out", tmp_path / "x.json", "--no-input", "--base-url", "http://example.go.id"
    )
    assert result.code == 1
    assert "plain http" in result.err and "nothing was written" in result.err
    assert not (tmp_path / "x.json").exists()


def test_init_prompts_on_a_terminal(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(
        ["Izin Penelitian", "", "Badan Kesatuan Bangsa dan Politik", "penelitian", "abc", "3", "", "", "", ""]
    )
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    out = tmp_path / "35.76" / "izin-penelitian.json"
    result = cli("init", "35.76", "izin-penelitian", "--out", out)
    assert result.code == 0, result.err
    doc = json.loads(out.read_text())
    assert doc["service"]["name"]["id"] == "Izin Penelitian"
    assert doc["service"]["agency"] == "Badan Kesatuan Bangsa dan Politik"
    assert doc["service"]["sla_working_days"] == 3  # 'abc' was refused and asked again
    assert validate_file(out).problems == []
