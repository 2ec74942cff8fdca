"""Where a ``sql`` package may make the hub connect: the same host policy as HTTP, and never the hub's own
ledger database.

A ``sql`` package's database URL is a secret of its region (``connection_ref``), so the validator never sees
it; this check runs when the connector is built, before any connection is dialled. The host is checked by
the addresses it resolves to (``HostPolicy.check_host``), like an HTTP endpoint; the port must be a TCP
port (no local socket through ``?host=/run/postgresql`` or ``unix_socket``); and a URL that names the
ledger's own database (same server — resolved addresses — port and database name) is refused whatever the
policy says: a region's package would otherwise read token hashes and audit rows as "walk-ins".
"""

from __future__ import annotations

import socket

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from connectors.errors import FatalError
from connectors.url_policy import HostPolicy

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
# query parameters the drivers read as "connect through this local socket or host instead"
_SOCKET_PARAMETERS = {"host", "hostaddr", "unix_socket", "service"}


def check_database_url(url: str, policy: HostPolicy | None, ledger_url: str | None) -> None:
    """Raise FatalError (the package stops with the reason; nothing is dialled) unless ``url`` may be used."""
    target = _parse(url, "the database URL of connection_ref")
    host = (target.host or "").strip("[]").lower()
    if not host:
        raise FatalError("the database URL of connection_ref names no host (a local socket is not allowed)")
    hidden = sorted(_SOCKET_PARAMETERS & {key.lower() for key in target.query})
    if hidden:
        raise FatalError(
            f"the database URL of connection_ref may not set {', '.join(hidden)} (connect by host and port)"
        )
    if policy is not None:
        policy.check_host(host)
    if ledger_url and _same_database(target, ledger_url):
        raise FatalError("the database URL of connection_ref points at the hub's own ledger database")


def _parse(url: str, what: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise FatalError(f"{what} is not a database URL") from None


def _port(url: URL) -> int | None:
    return url.port or DEFAULT_PORTS.get(url.get_backend_name())


def _same_database(target: URL, ledger_url: str) -> bool:
    """Whether ``target`` names the ledger's database: same port, same database name, same server (the two
    hosts share an address: ``localhost`` and ``127.0.0.1`` are one server)."""
    try:
        ledger = make_url(ledger_url)
    except (ArgumentError, ValueError):
        return False
    if not ledger.host or ledger.get_backend_name() == "sqlite":
        return False  # a SQLite ledger is a file: no sql package (PostgreSQL, MySQL, MariaDB) can reach it
    if _port(target) != _port(ledger) or (target.database or "") != (ledger.database or ""):
        return False
    return bool(_addresses(str(target.host)) & _addresses(str(ledger.host)))


def _addresses(host: str) -> set[str]:
    host = host.strip("[]").lower()
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None)} | {host}
    except (socket.gaierror, UnicodeError):
        return {host}
