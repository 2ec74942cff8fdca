"""pytest fixtures that start the simulated local systems (registered in tests/conftest.py).

- ``local_rest_indonesian`` / ``local_rest_cursor`` / ``local_rest_form``: a style (a) / (b) / (d) server
  in a thread on a free loopback port, seed 0, no faults, no background pace; a ``LocalRestServer`` with its
  URL, credentials, ``secrets`` (every served package's secret refs -> the sandbox credentials, for
  ``StaticSecrets``) and helpers for the control endpoints;
- ``local_postgres_db`` / ``local_mariadb_db``: the URL of a fresh, uniquely named database, dropped after
  the test (``SqlLocalSystem(url, packages).create_schema()`` then lays out the tables).

Admin URLs default to this machine's servers; override with MPPHUB_TEST_POSTGRES_ADMIN_URL /
MPPHUB_TEST_MARIADB_ADMIN_URL. A database server that cannot be reached skips its tests with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from sandbox.faults import FaultInjector
from sandbox.local import rest_cursor, rest_form, rest_indonesian
from sandbox.local.catalogue import load_packages
from sandbox.local.server import handle
from sandbox.serve import RunningServer, serve_in_thread

POSTGRES_ADMIN = os.environ.get(
    "MPPHUB_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN = os.environ.get("MPPHUB_TEST_MARIADB_ADMIN_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
TOKEN = "sandbox-local-token"  # noqa: S105 - the sandbox's documented loopback credential
USERNAME, PASSWORD, API_KEY = "sandbox", "sandbox-password", "sandbox-api-key"


@dataclass
class LocalRestServer:
    """A running simulated REST system and what a client needs to talk to it."""

    url: str
    running: RunningServer
    credentials: dict[str, str]
    secrets: dict[str, str] = field(default_factory=dict)

    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def step(self, n: int = 1, package_id: str | None = None) -> dict[str, Any]:
        """``n`` officers' rounds."""
        return dict(self._control("POST", "officers/step", {"n": n, "package_id": package_id}))

    def walk_ins(self, n: int = 1, package_id: str | None = None) -> dict[str, Any]:
        """``n`` walk-ins per walk-in service."""
        return dict(self._control("POST", "officers/walk-ins", {"n": n, "package_id": package_id}))

    def truth(self) -> dict[str, Any]:
        """What the system holds."""
        return dict(self._control("GET", "truth"))

    def faults(self, **knobs: Any) -> dict[str, Any]:
        """Replace the fault knobs (FaultConfig fields)."""
        return dict(self._control("PUT", "faults", knobs))


def _secrets(packages: list[dict[str, Any]], values: dict[str, str]) -> dict[str, str]:
    """Each package's secret refs -> the sandbox credential of that kind."""
    found: dict[str, str] = {}
    for package in packages:
        auth = package["local_system"].get("auth", {})
        for ref_key, kind in (
            ("secret_ref", auth.get("type")),
            ("username_ref", "username"),
            ("password_ref", "password"),
        ):
            if ref_key in auth and kind in values:
                found[auth[ref_key]] = values[kind]
    return found


def _serve(app: FaultInjector, credentials: dict[str, str], secret_values: dict[str, str]) -> Iterator[LocalRestServer]:
    running = serve_in_thread(app)
    packages = [p for p in load_packages() if p["local_system"]["kind"] == "rest"]
    try:
        yield LocalRestServer(running.url, running, credentials, _secrets(packages, secret_values))
    finally:
        handle(app).pace.stop()
        running.stop()


@pytest.fixture
def local_rest_indonesian() -> Iterator[LocalRestServer]:
    """Style (a) on a free loopback port (bearer token ``sandbox-local-token``)."""
    yield from _serve(rest_indonesian.create_app(token=TOKEN), {"token": TOKEN}, {"bearer": TOKEN})


@pytest.fixture
def local_rest_cursor() -> Iterator[LocalRestServer]:
    """Style (b) on a free loopback port (basic ``sandbox`` / ``sandbox-password``, key ``sandbox-api-key``)."""
    credentials = {"username": USERNAME, "password": PASSWORD, "api_key": API_KEY}
    app = rest_cursor.create_app(username=USERNAME, password=PASSWORD, api_key=API_KEY)
    yield from _serve(app, credentials, {"username": USERNAME, "password": PASSWORD, "api_key": API_KEY})


@pytest.fixture
def local_rest_form() -> Iterator[LocalRestServer]:
    """Style (d), the PHP style (``rest_form``), on a free loopback port (key ``sandbox-api-key`` in the query)."""
    app = rest_form.create_app(api_key=API_KEY)
    yield from _serve(app, {"api_key": API_KEY}, {"api_key": API_KEY})


def _fresh_database(admin_url: str, terminate: Callable[[str], str]) -> Iterator[str]:
    name = f"mpphub_local_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"database server not reachable ({type(exc.orig).__name__}): {admin.url.host}:{admin.url.port}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(terminate(name)))
        admin.dispose()


@pytest.fixture
def local_postgres_db() -> Iterator[str]:
    """URL of a fresh PostgreSQL database, dropped (even with open connections) after the test."""
    yield from _fresh_database(POSTGRES_ADMIN, lambda name: f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def local_mariadb_db() -> Iterator[str]:
    """URL of a fresh MariaDB database, dropped after the test."""
    yield from _fresh_database(MARIADB_ADMIN, lambda name: f"DROP DATABASE IF EXISTS {name}")
