"""Attack drill (issue 16): a region publishes a package aimed at the hub's own network — its ledger's
PostgreSQL (127.0.0.1:5432), anything on loopback (localhost), an internal range (10.0.0.1) — so that the
next sync makes the hub call it.

Under production settings (``MPPHUB_ALLOWED_HOSTS`` set) ``mpphub publish`` and the API's
``POST /api/v1/packages`` must refuse such a package with the rule ``endpoint-allowed-host`` and write
nothing to the registry (no published file, index.json unchanged). The check is static: the refusal must
come before any DNS lookup or connection, even to loopback (a stub resolver fails the test if one is tried). Before the fix
only ``mpphub validate`` applied the host policy; publish accepted these packages. A package on an allowed
host is accepted (control arm).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from tests.drills.attack_support import no_dialling
from tests.drills.support import report
from tests.hub.conftest import Api, make_api

ALLOWED = "*.go.id"
INTERNAL = ["https://localhost/api/v1", "https://127.0.0.1:5432/api/v1", "https://10.0.0.1/api/v1"]
PUBLISHED = Path("published") / "35.76" / "akta-kelahiran" / "1.0.0.json"


def _snapshot(registry: Path) -> dict[str, bytes]:
    """Every file of the registry folder and its bytes (to prove a refusal wrote nothing)."""
    return {str(p.relative_to(registry)): p.read_bytes() for p in sorted(registry.rglob("*")) if p.is_file()}


def _save(registry: Path, doc: dict[str, Any]) -> Path:
    path = registry / "packages" / "35.76" / "akta-kelahiran.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _aimed(good_doc: dict[str, Any], url: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(good_doc))
    doc["local_system"]["base_url"] = url
    return doc


@pytest.fixture
def production_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPPHUB_ALLOWED_HOSTS", ALLOWED)


@pytest.mark.parametrize("url", INTERNAL)
def test_cli_publish_refuses_an_internal_endpoint_and_writes_nothing(
    url: str,
    good_doc: dict[str, Any],
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    production_hosts: None,
) -> None:
    """Attack: ``mpphub publish`` of a package whose base_url is an internal address."""
    registry = tmp_path / "registry"
    source = _save(registry, _aimed(good_doc, url))
    before = _snapshot(registry)
    with no_dialling(monkeypatch, allow_loopback=False) as attempts:
        result = cli("publish", "--registry", registry, source)
    assert attempts == []
    assert result.code == 1, result.out
    assert "$.local_system.base_url" in result.out and "refused, nothing was published" in result.out
    assert "not in the allowed hosts" in result.out or "non-public" in result.out, result.out
    assert _snapshot(registry) == before, "a refused package changed the registry"
    assert not (registry / PUBLISHED).exists() and not (registry / "index.json").exists()


def test_cli_publish_accepts_an_allowed_host(
    good_doc: dict[str, Any], tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, production_hosts: None
) -> None:
    """Control: the sample's own base_url (a .go.id name) is published under the same policy, offline."""
    registry = tmp_path / "registry"
    source = _save(registry, good_doc)
    with no_dialling(monkeypatch, allow_loopback=False) as attempts:
        result = cli("publish", "--registry", registry, source)
    assert attempts == []
    assert result.code == 0, result.out
    assert (registry / PUBLISHED).read_bytes() == source.read_bytes()


def test_without_a_policy_publish_does_not_check_hosts(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    """Control (the embedded default, no MPPHUB_ALLOWED_HOSTS): the same internal package publishes; so the
    refusals above come from the host policy, not from another rule."""
    registry = tmp_path / "registry"
    source = _save(registry, _aimed(good_doc, INTERNAL[1]))
    result = cli("publish", "--registry", registry, source)
    assert result.code == 0, result.out


# --- the API --------------------------------------------------------------------------------------------


@pytest.fixture
def empty_api(tmp_path: Path) -> Iterator[Api]:
    """The hub API over a fresh ledger and an empty registry folder."""
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'api-ledger.db'}")
    registry = tmp_path / "registry"
    registry.mkdir()
    yield make_api(ledger, registry)
    ledger.close()


@pytest.mark.parametrize("url", INTERNAL)
def test_api_publish_refuses_an_internal_endpoint_and_writes_nothing(
    url: str, good_doc: dict[str, Any], empty_api: Api, monkeypatch: pytest.MonkeyPatch, production_hosts: None
) -> None:
    """Attack: the same package through ``POST /api/v1/packages`` with the region's token."""
    body = json.dumps(_aimed(good_doc, url)).encode()
    before = _snapshot(empty_api.registry)
    with no_dialling(monkeypatch, allow_loopback=False) as attempts:
        response = empty_api.client.post("/api/v1/packages", headers=empty_api.headers("region"), content=body)
    assert attempts == []
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert any(p["path"] == "$.local_system.base_url" for p in problems), problems
    assert _snapshot(empty_api.registry) == before
    assert not any(r["action"] == "publish" for r in empty_api.ledger.audit_records()), "nothing audited as published"
    report("attack-publish", f"API publish of {url}: 422, registry unchanged")


def test_api_publish_accepts_an_allowed_host(
    good_doc: dict[str, Any], empty_api: Api, monkeypatch: pytest.MonkeyPatch, production_hosts: None
) -> None:
    """Control: the allowed .go.id host is published through the API under the policy."""
    body = json.dumps(good_doc).encode()
    with no_dialling(monkeypatch, allow_loopback=False) as attempts:
        response = empty_api.client.post("/api/v1/packages", headers=empty_api.headers("region"), content=body)
    assert attempts == []
    assert response.status_code == 201, response.text
    assert (empty_api.registry / PUBLISHED).exists()
