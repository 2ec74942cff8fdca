"""The shipped Kemendagri region table and its licence notice."""

from __future__ import annotations

from registry.regions import ATTRIBUTION, DATASET_VERSION, region_table
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
