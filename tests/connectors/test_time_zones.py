"""Local times without an offset are read in the package's zone (issue 18 item 3, zones): the declared
``local_system.time_zone``, else the zone of the package's region — WIB, WITA or WIT. Before, every local
system was read as WIB, so a WITA region's changes came an hour early and a WIT region's two."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import responses

from connectors.records import ChangeRecord, normalise_change
from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets
from registry.time_zones import package_zone, region_zone
from registry.validate import check_document

BASE = "https://dispendukcapil.mojokertokota.go.id/api/v1"


@pytest.mark.parametrize(
    ("region", "zone"),
    [
        ("35.76", "WIB"),  # Kota Mojokerto, Jawa Timur
        ("61.71", "WIB"),  # Kota Pontianak, Kalimantan Barat
        ("51.71", "WITA"),  # Kota Denpasar, Bali
        ("64.72", "WITA"),  # Kota Samarinda, Kalimantan Timur
        ("73.71", "WITA"),  # Kota Makassar, Sulawesi Selatan
        ("82.71", "WIT"),  # Kota Ternate, Maluku Utara
        ("91.71", "WIT"),  # Kota Jayapura, Papua
        ("96.71", "WIT"),  # Kota Sorong, Papua Barat Daya
    ],
)
def test_each_region_keeps_its_province_zone(region: str, zone: str) -> None:
    assert region_zone(region) == zone


def _package(good_doc: dict[str, Any], region: str, declared: str | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(good_doc)
    doc["region"] = region
    doc["id"] = f"{region}/akta-kelahiran"
    doc["local_system"]["auth"]["secret_ref"] = f"R{region.replace('.', '')}_DISPENDUK_TOKEN"  # its own namespace
    if declared:
        doc["local_system"]["time_zone"] = declared
    return doc


@pytest.mark.parametrize(
    ("region", "declared", "utc_hour"),
    [("35.76", None, 6), ("73.71", None, 5), ("91.71", None, 4), ("35.76", "WIT", 4), ("91.71", "WIB", 6)],
)
@responses.activate
def test_a_zone_less_change_is_read_in_the_package_zone(
    good_doc: dict[str, Any], region: str, declared: str | None, utc_hour: int
) -> None:
    package = _package(good_doc, region, declared)
    secret = package["local_system"]["auth"]["secret_ref"]
    connector = RestConnector(package, StaticSecrets({secret: "tkn"}))
    responses.get(
        f"{BASE}/permohonan/perubahan-status",
        json={
            "data": [
                {
                    "id_riwayat": 1,
                    "nomor_registrasi": "REG-1",
                    "kode_status": "BARU",
                    "diperbarui_pada": "2026-12-02T13:59:04",  # no offset: the local system's own clock
                }
            ]
        },
    )
    (page,) = list(connector.status_changes("2026-12-01T00:00:00"))
    (record,) = page
    assert isinstance(record, ChangeRecord), record
    assert record.changed_at.astimezone(UTC) == datetime(2026, 12, 2, utc_hour, 59, 4, tzinfo=UTC)


def test_an_offset_in_the_value_wins_over_any_zone() -> None:
    fields = {"reference": "r", "status": "s", "changed_at": "t"}
    record = normalise_change(
        {"r": "REG-1", "s": "BARU", "t": "2026-12-02T13:59:04+07:00"},
        fields,
        None,
        zone=package_zone({"region": "91.71"}),
    )
    assert isinstance(record, ChangeRecord)
    assert record.changed_at.astimezone(UTC) == datetime(2026, 12, 2, 6, 59, 4, tzinfo=UTC)


def test_the_validator_explains_a_bad_zone(good_doc: dict[str, Any], tmp_path: Any) -> None:
    doc = copy.deepcopy(good_doc)
    doc["local_system"]["time_zone"] = "UTC+8"
    problems = [(p.path, p.message) for p in check_document(tmp_path / "x.json", doc)]
    assert (
        "$.local_system.time_zone",
        "time_zone must be WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9); leave it out to use the region's own zone",
    ) in problems, problems
    doc["local_system"]["time_zone"] = "WITA"
    assert check_document(tmp_path / "x.json", doc) == []
