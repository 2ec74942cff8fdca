"""The sample registry's shared SQL connector profile (issue 11, item 6): ``nasional/simpel``, one
DPMPTSP database of a region serving several services, adopted by three packages of Kabupaten Situbondo
(35.12) whose applications share one table told apart by a service column, each reading its own status
view. The sandbox lays them out that way (one table, one log, three views), so ``mpphub demo`` syncs them."""

from __future__ import annotations

from typing import Any

from connectors.sync.packages import PackageSource
from registry.index import load_index
from registry.regions import region_table
from sandbox.local.sql_plan import TableSpec, plan_package
from tests.conftest import REPO

REGISTRY = REPO / "registry"
PROFILE = "nasional/simpel"


def _adopting() -> list[dict[str, Any]]:
    source = PackageSource(REGISTRY)
    index = load_index(REGISTRY)
    ids = [
        package_id
        for package_id, entry in index["packages"].items()
        if entry["versions"][entry["latest"]].get("profile") == f"{PROFILE}@1.0.0"
    ]
    return [source.latest(package_id) for package_id in sorted(ids)]


def test_an_sql_profile_is_published_and_adopted_by_three_services_of_one_region() -> None:
    index = load_index(REGISTRY)
    assert index["templates"][PROFILE]["kind"] == "connector_profile"
    packages = _adopting()
    assert [p["id"] for p in packages] == [
        "35.12/izin-praktik-bidan",
        "35.12/izin-praktik-perawat",
        "35.12/persetujuan-bangunan-gedung",
    ]
    situbondo = region_table().get("35.12")
    assert situbondo is not None and situbondo.province_code == "35"  # a real Jawa Timur region
    local = [p["local_system"] for p in packages]
    assert {(ls["kind"], ls["dialect"]) for ls in local} == {("sql", "mariadb")}
    assert {ls["connection_ref"] for ls in local} == {"R3512_SIMPEL_DB_URL"}  # one database
    assert {ls["tables"]["applications"]["table"] for ls in local} == {"simpel_permohonan"}
    services = [ls["tables"]["applications"]["columns"]["kode_layanan"] for ls in local]
    assert sorted(services) == ["'PBG'", "'SIPB'", "'SIPP'"]  # the service column tells them apart
    # the profile's columns are in every composed package, each service's own beside them
    for ls in local:
        assert ls["tables"]["applications"]["columns"]["data_isian"] == "form"


def test_the_sandbox_serves_them_from_shared_tables_with_a_view_each() -> None:
    specs: dict[str, TableSpec] = {}
    plans = [plan_package(p, specs) for p in _adopting()]
    assert {plan.applications for plan in plans} == {"simpel_permohonan"}
    assert {plan.log_table for plan in plans} == {"simpel_permohonan_log"}  # one status log too
    assert set(specs) == {"simpel_permohonan", "simpel_permohonan_log"}
    assert sorted(plan.status_view or "" for plan in plans) == [
        "v_simpel_riwayat_pbg",
        "v_simpel_riwayat_sipb",
        "v_simpel_riwayat_sipp",
    ]
    assert sorted(plan.discriminators["kode_layanan"] for plan in plans) == ["PBG", "SIPB", "SIPP"]
    # each service's NIK column and the form as JSON live in the one shared table
    assert {"nik_pemohon", "data_isian", "kode_layanan"} <= set(specs["simpel_permohonan"].columns)
