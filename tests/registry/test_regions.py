"""The shipped Kemendagri region table and its licence notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.regions import ATTRIBUTION, COMPACT_FILE, DATASET_VERSION, compact_source, region_table, regions_from_csv
from tests.conftest import REPO

DATA = REPO / "registry" / "data" / "idn-area-data"


def test_table_has_every_province_and_regency() -> None:
    table = region_table()
    regions = table.all()
    assert sum(r.is_province for r in regions) == 38
    assert sum(not r.is_province for r in regions) == 514
    assert len(table) == 552


def test_known_codes() -> None:
    table = region_table()
    mojokerto = table.get("35.76")
    assert mojokerto is not None and mojokerto.name == "Kota Mojokerto" and mojokerto.province_code == "35"
    province = table.get("35")
    assert province is not None and province.name == "Jawa Timur" and province.is_province
    assert table.get("35.99") is None
    suggestion = table.suggest("35.7")
    assert suggestion is not None and suggestion.code.startswith("35.7")


def test_attribution_and_licence_ship_with_the_data() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert ATTRIBUTION in readme
    assert DATASET_VERSION == "idn-area-data 4.0.1"
    assert "Open Database License" in (DATA / "LICENSE-ODbL.md").read_text(encoding="utf-8")
    assert (DATA / "LICENSE-package-MIT").is_file()


def test_generated_table_matches_the_csv_files() -> None:
    # registry/regions_data.py is what validation reads; the CSV files are the source: no drift
    assert COMPACT_FILE.read_text(encoding="utf-8") == compact_source(), "run: python -m registry.regions"
    table = region_table()
    assert {r.code: (r.name, r.province_code) for r in table.all()} == regions_from_csv()


def test_the_drift_check_sees_a_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import registry.regions

    data = tmp_path / "idn-area-data"
    data.mkdir()
    for name in ("provinces.csv", "regencies.csv"):
        (data / name).write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    with (data / "regencies.csv").open("a", encoding="utf-8") as f:
        f.write("35.99,35,Kota Baru\n")
    monkeypatch.setattr(registry.regions, "_DATA_DIR", data)
    assert COMPACT_FILE.read_text(encoding="utf-8") != compact_source()
