"""The rows of the conformance suite: for every connector kind, one or more sample packages and the
sandbox local system that serves them (``sandbox/local/``), with what a test needs to look inside it.

A row starts its system (an HTTP one in a thread on a free loopback port, a database in a fresh scratch
PostgreSQL database), and gives: the package, the wiring inputs that reach the system, and probes of the
system's own truth (how many applications a national id created, which status events it holds), plus
the officers' and the counter's actions. ``ROWS`` must name every kind of ``CONNECTOR_KINDS``
(``test_every_kind_has_rows``): a kind added without rows fails the suite.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import pytest
import sqlalchemy as sa
from requests.adapters import HTTPAdapter
from sqlalchemy.pool import QueuePool

from connectors.kinds import LocalConnector, WiringInputs
from connectors.secrets import StaticSecrets
from connectors.sql import SqlConnector
from connectors.url_policy import host_policy
from sandbox import credentials as cred
from sandbox.faults import FaultInjector
from sandbox.local import rest_cursor, rest_indonesian, soap_service
from sandbox.local.catalogue import load_packages
from sandbox.local.server import handle
from sandbox.local.sql_tables import SqlLocalSystem
from sandbox.local.sql_values import to_database_time
from sandbox.local.store import LocalStore, StatusChange
from sandbox.serve import serve_in_thread

SMALL_PAGE = 2  # every row reads its feeds in pages this small, so paging is exercised


@dataclass
class System:
    """One started sandbox system serving one package, as the suite sees it."""

    package: dict[str, Any]
    inputs: WiringInputs
    created: Callable[[str], int]  # national id -> applications it created in the system
    officers: Callable[[int], None]  # n officers' rounds on the package's applications
    walk_ins: Callable[[int], list[str]]  # n counter applications; their references
    add_malformed_change: Callable[[], None]  # a status change the package cannot read (an empty status)
    event_ids: Callable[[], set[str]]  # the readable status events the system holds for the package
    pooled: Callable[[LocalConnector], int]  # connections the connector holds open

    @property
    def package_id(self) -> str:
        """The package's id."""
        return str(self.package["id"])

    def connector(self) -> LocalConnector:
        """A connector built the way the hub builds it (``from_package`` with the wiring's inputs)."""
        from connectors.kinds import kind_of

        return kind_of(self.package).from_package(self.package, self.inputs)


@dataclass(frozen=True)
class Row:
    """One kind's sample package and the way to start its system."""

    id: str
    kind: str
    package_id: str
    start: Callable[[dict[str, Any], pytest.FixtureRequest], Iterator[System]]
    small_pages: Callable[[dict[str, Any], pytest.MonkeyPatch], None]


def sample(package_id: str) -> dict[str, Any]:
    """A copy of one hand-written sample package (the suite changes its page sizes)."""
    return copy.deepcopy(next(p for p in load_packages() if p["id"] == package_id))


def _policy_inputs(package: dict[str, Any], secrets: dict[str, str], url: str | None = None) -> WiringInputs:
    overrides = {package["local_system"]["base_url"]: url} if url else {}
    return WiringInputs(
        secrets=StaticSecrets(secrets), base_url_overrides=overrides, url_policy=host_policy("", allow_loopback=True)
    )


def _discard(made: object) -> None:
    """The officers' actions return what they made; the rows read the system's truth instead."""


def _http_pooled(connector: LocalConnector) -> int:
    assert connector.client is not None
    adapters = [cast(HTTPAdapter, a) for a in connector.client.session.adapters.values()]
    return sum(len(adapter.poolmanager.pools) for adapter in adapters)


def _malformed(store: LocalStore, package_id: str) -> None:
    with store.lock:
        app = next(a for a in store.applications if a.service.package_id == package_id)
        store.changes.append(
            StatusChange(len(store.changes) + 1, app.reference, app.service, app.national_id, "", store.clock.now(), "")
        )


@contextmanager
def _http_system(app: FaultInjector, package: dict[str, Any]) -> Iterator[System]:
    running = serve_in_thread(app)
    store = handle(app).store
    pid = str(package["id"])
    try:
        yield System(
            package=package,
            inputs=_policy_inputs(package, cred.secret_values([package]), running.url),
            created=lambda national_id: store.created[national_id],
            officers=lambda n: _discard(store.officers_step(n, pid)),
            walk_ins=lambda n: [a.reference for a in store.create_walk_ins(n, pid)],
            add_malformed_change=lambda: _malformed(store, pid),
            event_ids=lambda: {str(c.key) for c in store.changes if c.service.package_id == pid and c.status},
            pooled=_http_pooled,
        )
    finally:
        handle(app).pace.stop()
        running.stop()


def _rest_pages(package: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("status_changes", "walk_ins"):
        op = package["local_system"]["operations"].get(name)
        if op is not None:
            op["pagination"]["page_size"] = SMALL_PAGE


def _soap_pages(package: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("status_changes", "walk_ins"):
        op = package["local_system"]["operations"].get(name)
        if op is not None:
            op["page_size"] = SMALL_PAGE


def _sql_pages(package: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connectors.sql.PAGE_SIZE", SMALL_PAGE)


def _rest_indonesian(package: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[System]:
    with _http_system(rest_indonesian.create_app(token=cred.LOCAL_TOKEN, packages=[package]), package) as system:
        yield system


def _rest_cursor(package: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[System]:
    app = rest_cursor.create_app(**cred.factory_kwargs("cursor"), packages=[package])
    with _http_system(app, package) as system:
        yield system


def _soap(package: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[System]:
    with _http_system(soap_service.create_app(**cred.factory_kwargs("soap"), packages=[package]), package) as system:
        yield system


def _sql(package: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[System]:
    url = request.getfixturevalue("local_postgres_db")
    local = SqlLocalSystem(url, [package])
    local.create_schema()
    pid = str(package["id"])
    plan = local.plan(pid)

    def truth() -> dict[str, Any]:
        report: dict[str, Any] = local.truth()[pid]
        return report

    def malformed() -> None:
        log, roles = local.schema.tables[plan.log_table], plan.log
        with local.engine.begin() as conn:
            reference = local._applications(conn, plan)[0][1]
            moment = to_database_time(local.clock.now(), local.dialect)
            conn.execute(
                sa.insert(log).values({roles["reference"]: reference, roles["status"]: "", roles["changed_at"]: moment})
            )

    def pooled(connector: LocalConnector) -> int:
        assert isinstance(connector, SqlConnector)
        return cast(QueuePool, connector.engine.pool).checkedin()

    try:
        yield System(
            package=package,
            inputs=_policy_inputs(package, {package["local_system"]["connection_ref"]: url}),
            created=lambda national_id: int(truth()["created_per_national_id"].get(national_id, 0)),
            officers=lambda n: _discard(local.officers_step(n, pid)),
            walk_ins=lambda n: [str(w["reference"]) for w in local.create_walk_ins(n, pid)],
            add_malformed_change=malformed,
            event_ids=lambda: {str(c["event_id"]) for c in truth()["status_changes"] if c["status"]},
            pooled=pooled,
        )
    finally:
        local.drop()


ROWS = [
    Row("rest-idempotency-key", "rest", "35.76/kartu-identitas-anak", _rest_indonesian, _rest_pages),
    Row("rest-lookup", "rest", "35.76/izin-usaha-mikro", _rest_cursor, _rest_pages),
    Row("sql-postgresql", "sql", "35.16/izin-penelitian", _sql, _sql_pages),
    Row("soap", "soap", "35.08/izin-usaha-mikro", _soap, _soap_pages),
]
