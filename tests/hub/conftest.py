"""Hub API fixtures: a ledger on SQLite or PostgreSQL, a copy of the sample registry, one token per role,
and the API in-process (Starlette TestClient) with its health cache off."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from connectors.ledger.store import Ledger
from hub.api.app import create_app
from hub.tokens import create_token
from tests.conftest import REPO
from tests.connectors.conftest import pg_url  # noqa: F401 - fixture re-exported for the hub tests

REGION = "35.76"
OTHER_REGION = "35.78"


def copy_registry(target: Path) -> Path:
    """The sample registry's index, working copies and published versions, in a folder of its own."""
    source = REPO / "registry"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "index.json", target / "index.json")
    shutil.copytree(source / "packages", target / "packages")
    shutil.copytree(source / "published", target / "published")
    return target


@dataclass
class Api:
    """The API under test, its ledger and registry, and one bearer header per role."""

    client: TestClient
    ledger: Ledger
    registry: Path
    tokens: dict[str, str]

    def headers(self, role: str | None) -> dict[str, str]:
        """Authorization header of a role (``region``, ``other_region``, ``coordinator``, ``operator``)."""
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: str | None = "coordinator", params: dict[str, str] | None = None) -> Response:
        response: Response = self.client.get(path, headers=self.headers(role), params=params)
        return response


def make_api(ledger: Ledger, registry: Path, stall_minutes: float = 15.0) -> Api:
    tokens = {
        "region": create_token(ledger.engine, "mojokerto", "region", REGION),
        "other_region": create_token(ledger.engine, "batu", "region", OTHER_REGION),
        "coordinator": create_token(ledger.engine, "kemenpan", "coordinator"),
        "operator": create_token(ledger.engine, "ops", "operator"),
    }
    app = create_app(ledger, registry, stall_minutes=stall_minutes, cache_seconds=0, dashboard=None)
    return Api(TestClient(app, raise_server_exceptions=False), ledger, registry, tokens)


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh ledger URL on each database the hub runs on."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub-ledger.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The API over a fresh SQLite ledger and a registry copy."""
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'api-ledger.db'}")
    yield make_api(ledger, copy_registry(tmp_path / "registry"))
    ledger.close()


@pytest.fixture
def api_any_db(tmp_path: Path, hub_ledger_url: str) -> Iterator[Api]:
    """The API over SQLite and over PostgreSQL."""
    ledger = Ledger.open(hub_ledger_url)
    yield make_api(ledger, copy_registry(tmp_path / "registry"))
    ledger.close()
