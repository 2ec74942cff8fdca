"""Adopted packages in the simulated local systems: the shared systems serve the hand-written packages,
and each adopting region gets a system of its own for its composed packages (regions adopting one
template share its service codes: every SIPENA is ``jenis_layanan`` SKP)."""

from __future__ import annotations

import pytest
import requests

from sandbox.credentials import LOCAL_TOKEN
from sandbox.local import rest_indonesian
from sandbox.local.catalogue import adopted_packages, load_packages, regional_systems, services_for
from sandbox.local.families import INDONESIAN
from sandbox.serve import serve_in_thread
from tests.conftest import REPO


def test_the_shared_systems_serve_hand_written_packages_only() -> None:
    working = {p["id"] for p in load_packages()}
    adopted = {p["id"] for p in adopted_packages(REPO / "registry")}
    assert adopted and working and not working & adopted
    assert all("extends" not in p for p in load_packages())
    services_for(INDONESIAN, load_packages())  # one package per service code: no clash


def test_adopting_regions_share_codes_so_each_gets_its_own_system() -> None:
    adopted = adopted_packages(REPO / "registry")
    # composed, not overlays (a REST system's operations, an SQL profile's tables)
    assert all(p["form"] and (p["local_system"].get("operations") or p["local_system"].get("tables")) for p in adopted)
    sipena = [p for p in adopted if p["id"].endswith("/izin-penelitian")]
    with pytest.raises(ValueError, match="both use jenis_layanan SKP"):
        services_for(INDONESIAN, sipena)
    systems = regional_systems(adopted)
    assert len({region for region, _ in systems}) >= 10
    for (region, _), group in systems.items():
        assert {p["region"] for p in group} == {region}
    assert {style for _, style in systems} == {"indonesian", "cursor"}


def test_a_regional_system_serves_its_regions_composed_packages() -> None:
    group = regional_systems(adopted_packages(REPO / "registry"))[("35.71", "indonesian")]
    app = rest_indonesian.create_app(token=LOCAL_TOKEN, packages=group)
    server = serve_in_thread(app)
    try:
        truth = requests.get(f"{server.url}/_sandbox/truth", timeout=10).json()
        assert truth["applications"] == []
        unauthorised = requests.post(f"{server.url}/permohonan", json={}, timeout=10)
        assert unauthorised.status_code == 401
    finally:
        server.stop()
    assert sorted(p["id"] for p in group) == ["35.71/akta-kelahiran", "35.71/izin-penelitian"]
