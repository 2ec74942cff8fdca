"""Package secret references resolved through Airflow Connections, with the environment as fallback.

A reference ``R3576_DISPENDUK_TOKEN`` is the Connection ``mpphub_r3576_dispenduk_token``; its
value is the Connection's password, else its extra ``{"value": ...}`` (long values such as a database
URL). Where no such Connection exists, or outside a task, the environment variable named like the
reference is used (``connectors.secrets.EnvSecrets``). Values never reach a log or a message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from connectors.errors import FatalError
from connectors.secrets import EnvSecrets, SecretResolver, refuse_unscoped

log = logging.getLogger("mpphub.airflow.secrets")

CONN_PREFIX = "mpphub_"
_NOT_ID = re.compile(r"[^a-z0-9]+")


def connection_id(secret_ref: str) -> str:
    """The Airflow Connection id of a secret reference: ``R3576_DISPENDUK_TOKEN`` ->
    ``mpphub_r3576_dispenduk_token``."""
    slug = _NOT_ID.sub("_", secret_ref.lower()).strip("_")
    if not slug:
        raise FatalError(f"secret reference {secret_ref!r} has no letters or digits")
    return CONN_PREFIX + slug


def _connection_value(conn_id: str) -> str | None:
    """The Connection's secret, or None when Airflow has no such Connection (or is not running a task)."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowException
    except ImportError:  # plain `mpphub sync` on a machine without Airflow
        return None
    try:
        conn = Connection.get(conn_id)
    except (AirflowException, RuntimeError, OSError) as exc:
        # not found, or no task context to ask the API server through: the environment decides
        log.debug("no Airflow Connection %s (%s): using the environment", conn_id, type(exc).__name__)
        return None
    if conn is None:
        return None
    if conn.password:
        return str(conn.password)
    extra = conn.extra_dejson
    value = extra.get("value") if isinstance(extra, Mapping) else None
    return str(value) if value else None


class AirflowConnectionSecrets:
    """A ``connectors.secrets.SecretResolver`` backed by Airflow Connections."""

    def __init__(self, fallback: SecretResolver | None = None) -> None:
        self._fallback = fallback or EnvSecrets()

    def get(self, name: str) -> str:
        """The secret ``name``: its Connection's value, else the environment variable; FatalError if neither.
        A name outside every package namespace (the hub's own Connections) is refused before any look-up."""
        refuse_unscoped(name)
        value = _connection_value(connection_id(name))
        if value:
            return value
        try:
            return self._fallback.get(name)
        except FatalError:
            raise FatalError(
                f"secret {name} is not set: define the Airflow Connection {connection_id(name)} "
                f'(password, or extra {{"value": ...}}) or the environment variable {name}'
            ) from None
