"""Attack: a region's ``sql`` package aims its connection (a secret the validator never sees) at what the hub
must not reach — an internal address, a local socket, or the hub's own ledger database (whose ``api_token``
and ``audit_log`` tables a walk-in flow would otherwise read and post to the national layer).

The connector is refused when it is built, before anything is dialled: a stub resolver answers for the
names, and any attempt to open a socket fails the test."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from connectors.errors import FatalError
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sql import SqlConnector
from connectors.url_policy import HostPolicy
from connectors.wiring import connector_factory
from tests.conftest import REPO

PACKAGE = json.loads((REPO / "registry/packages/35.16/akta-perkawinan.json").read_text(encoding="utf-8"))
REF = PACKAGE["local_system"]["connection_ref"]
FAKE_DNS = {"db.capil.sidoarjokab.go.id": "10.20.0.7", "rebind.capil.sidoarjokab.go.id": "10.0.0.9"}


@pytest.fixture
def no_dial(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolve from FAKE_DNS (loopback names as usual); opening any connection fails the test."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in FAKE_DNS:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (FAKE_DNS[host], 0))]
        return real(host, *args, **kwargs)

    def dial(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a connection was dialled: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", dial)
    monkeypatch.setattr(socket.socket, "connect", dial)


def _build(url: str, allowed: str = "", ledger_url: str | None = None) -> SqlConnector:
    policy = HostPolicy.from_setting(allowed) if allowed else None
    return SqlConnector(PACKAGE, StaticSecrets({REF: url}), url_policy=policy, ledger_url=ledger_url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mariadb://capil:pw@127.0.0.1:3306/capil", "not in the allowed hosts"),
        ("mariadb://capil:pw@localhost/capil", "not in the allowed hosts"),
        ("mariadb://capil:pw@10.0.0.1/capil", "not in the allowed hosts"),
        ("mariadb://capil:pw@169.254.169.254/capil", "not in the allowed hosts"),
        ("mariadb://capil:pw@rebind.capil.sidoarjokab.go.id/capil", "resolves to a non-public address"),
        ("mariadb://capil:pw@/capil?unix_socket=/run/mysqld/mysqld.sock", "names no host"),
        ("mariadb://capil:pw@db.capil.sidoarjokab.go.id/capil?unix_socket=/run/mysqld/mysqld.sock", "unix_socket"),
        ("not a url", "not a database URL"),
    ],
)
def test_the_host_policy_applies_to_sql_connections(no_dial: None, url: str, reason: str) -> None:
    with pytest.raises(FatalError, match=reason) as refused:
        _build(url, allowed="*.go.id,10.20.0.0/16")
    assert "pw" not in str(refused.value), "the refusal never quotes the secret URL"


def test_an_allowed_database_host_is_accepted(no_dial: None) -> None:
    connector = _build("mariadb://capil:pw@db.capil.sidoarjokab.go.id:3306/capil", allowed="*.go.id,10.20.0.0/16")
    connector.close()  # built without dialling: connections open at the first query


@pytest.mark.parametrize(
    "spelling",
    ["postgresql://mpphub@127.0.0.1:5432/mpphub_ledger", "postgresql://other:pw@localhost/mpphub_ledger"],
)
def test_the_ledgers_own_database_is_refused_in_any_spelling(no_dial: None, spelling: str) -> None:
    package = json.loads(json.dumps(PACKAGE))
    package["local_system"]["dialect"] = "postgresql"
    ledger = "postgresql+psycopg://mpphub@localhost:5432/mpphub_ledger"
    with pytest.raises(FatalError, match="hub's own ledger database"):
        SqlConnector(package, StaticSecrets({REF: spelling}), ledger_url=ledger)
    # another database on the same server (the sandbox's local systems) stays usable without a policy
    SqlConnector(package, StaticSecrets({REF: spelling.replace("mpphub_ledger", "capil")}), ledger_url=ledger).close()


def test_the_sync_wiring_refuses_the_ledger_for_a_sql_package(no_dial: None, pg_url: str) -> None:
    """End to end through the factory the engine uses: the ledger URL is the hub's own setting."""
    ledger = make_url(pg_url)
    package = json.loads(json.dumps(PACKAGE))
    package["local_system"]["dialect"] = "postgresql"
    stolen = ledger.set(drivername="postgresql").render_as_string(hide_password=False)
    build = connector_factory(
        StaticSecrets({REF: stolen}), NationalClient("http://127.0.0.1:9", "t"), ledger_url=pg_url
    )
    with pytest.raises(FatalError, match="hub's own ledger database"):
        build(package)
