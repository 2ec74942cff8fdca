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
    # name, English name, agency, category, legal basis, SLA ('abc' then 3), fee, kind, URL, auth, e-mail
    answers = iter(
        ["Izin Penelitian", "", "Badan Kesatuan Bangsa dan Politik", "penelitian", "", "abc", "3", "", "", "", "", ""]
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


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("250000", 250000),
        ("250.000", 250000),
        ("Rp 250.000", 250000),
        ("Rp250.000,00", 250000),
        ("IDR 1.250.000", 1250000),
        ("Rp. 50.000,-", 50000),
        ("gratis", 0),
        ("0", 0),
    ],
)
def test_fees_are_read_as_indonesians_write_them(written: str, amount: int) -> None:
    from registry.starter import parse_rupiah

    assert parse_rupiah(written) == amount


@pytest.mark.parametrize("written", ["250,000", "25.00", "2.50.000", "Rp", "dua ratus", "-5", "1.5"])
def test_amounts_that_are_not_rupiah_are_refused(written: str) -> None:
    from registry.starter import parse_rupiah

    with pytest.raises(ValueError):
        parse_rupiah(written)


def test_the_fee_flag_takes_an_indonesian_amount(tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "x.json"
    result = cli("init", "35.76", "izin-reklame", "--out", out, "--no-input", "--fee", "Rp 250.000")
    assert result.code == 0, result.err
    fee = json.loads(out.read_text())["service"]["fee"]
    assert fee["amount_idr"] == 250000
    assert fee["legal_basis"] == "Peraturan Daerah tentang retribusi daerah"  # the placeholder Perda to replace
    bad = cli("init", "35.76", "izin-reklame", "--out", tmp_path / "y.json", "--no-input", "--fee", "250,000")
    assert bad.code == 2 and "Rp 250.000" in bad.err


@pytest.mark.parametrize("auth_type", ["none", "api_key", "bearer", "basic", "oauth2_client_credentials"])
def test_every_auth_type_of_the_schema_makes_a_valid_package(auth_type: str, tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "35.76" / "izin-reklame.json"
    result = cli("init", "35.76", "izin-reklame", "--out", out, "--no-input", "--auth-type", auth_type)
    assert result.code == 0, result.err
    assert validate_file(out).problems == []
    assert json.loads(out.read_text())["local_system"]["auth"]["type"] == auth_type


@pytest.mark.parametrize(
    ("flag", "value", "listed"), [("--kind", "grpc", "rest, sql, soap"), ("--auth-type", "jwt", "basic")]
)
def test_closed_lists_come_from_the_schema(flag: str, value: str, listed: str, tmp_path: Path, cli: Any) -> None:
    result = cli("init", "35.76", "izin", "--out", tmp_path / "x.json", "--no-input", flag, value)
    assert result.code == 2
    assert f"{flag} must be one of:" in result.err and listed in result.err


def test_init_names_the_placeholders_it_kept(tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "x.json"
    result = cli("init", "35.76", "izin-reklame", "--out", out, "--no-input", "--name-id", "Izin Reklame")
    assert result.code == 0, result.err
    last = result.out.splitlines()[-1]
    assert last.startswith("it still holds 6 placeholders, to replace before 'mpphub publish': $.service.name.en,")
    assert "$.service.legal_basis[0]" in last and "$.local_system.base_url" in last and "$.contact.email" in last
    assert "$.service.name.id" not in last  # the value given is no placeholder
