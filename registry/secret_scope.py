"""Which secrets a package may name: only those in its own region's namespace.

A package is written by one region's team, yet the hub resolves its secret references with the hub's own
privileges (the process environment, Airflow Connections). So a package may name only secrets whose name
starts with ``R`` + its region code without dots + ``_``: region 35.76 may name ``R3576_DISPENDUK_TOKEN``
(Airflow Connection ``mpphub_r3576_dispenduk_token``), province 35 ``R35_...``. The underscore keeps a
province out of its regencies' secrets (``R35_`` is not a prefix of ``R3576_``). The hub's own settings
(``MPPHUB_*``) and everything else in the environment lie outside every namespace, so no package can
name them.

This is the one place the rule is written: the validator (rule ``secret-namespace``), publish (through
the validator), ``mpphub check`` and the runtime resolvers (``connectors.secrets``,
``dags.mpphub_airflow.secrets``) all ask it.
"""

from __future__ import annotations

import re
from typing import Any

from registry.problems import PathPart

# The shape of any package secret's name: R, the digits of a region code, an underscore, then a name.
PACKAGE_SECRET = re.compile(r"^R[0-9]{2,10}_[A-Z0-9_]+$")
# Keys that hold a secret's name: every ``*_ref`` of ``local_system.auth`` and ``local_system.connection_ref``.
CONNECTION_REF = "connection_ref"


def secret_namespace(region: str) -> str:
    """The prefix every secret of ``region``'s packages starts with: ``35.76`` -> ``R3576_``."""
    return "R" + region.replace(".", "") + "_"


def in_namespace(name: str, region: str) -> bool:
    """Whether a package of ``region`` may name secret ``name``."""
    prefix = secret_namespace(region)
    return len(name) > len(prefix) and name.startswith(prefix) and bool(PACKAGE_SECRET.match(name))


def namespace_problem(name: str, region: str) -> str | None:
    """Why a package of ``region`` may not name ``name``, or None when it may."""
    if in_namespace(name, region):
        return None
    prefix = secret_namespace(region)
    return (
        f"secret '{name}' is outside region {region}'s namespace: a package may only name secrets starting "
        f"with {prefix} (e.g. {prefix}{_suffix(name)})"
    )


def _suffix(name: str) -> str:
    """A suggestion's tail: the name without a foreign region prefix."""
    # ``R35_76_`` is how names were spelled before namespaces: drop every digit group of the old prefix.
    match = re.match(r"^R[0-9]+(?:_[0-9]+)*_(.+)$", name)
    tail = match.group(1) if match else name
    return re.sub(r"[^A-Z0-9_]", "_", tail.upper()) or "TOKEN"


def secret_references(doc: Any) -> list[tuple[tuple[PathPart, ...], str]]:
    """Every secret name the package refers to, with its path: ``local_system.auth.*_ref`` and
    ``local_system.connection_ref``. Reads defensively (the document may not match the schema)."""
    local = doc.get("local_system") if isinstance(doc, dict) else None
    if not isinstance(local, dict):
        return []
    found: list[tuple[tuple[PathPart, ...], str]] = []
    auth = local.get("auth")
    if isinstance(auth, dict):
        for key, value in auth.items():
            if isinstance(key, str) and key.endswith("_ref") and isinstance(value, str):
                found.append((("local_system", "auth", key), value))
    connection = local.get(CONNECTION_REF)
    if isinstance(connection, str):
        found.append((("local_system", CONNECTION_REF), connection))
    return found


def rehome_secrets(doc: dict[str, Any], region: str) -> None:
    """Rename, in place, every secret ``doc`` names into ``region``'s namespace, keeping each name's tail:
    ``R3576_DISPENDUK_TOKEN`` -> ``R1101_DISPENDUK_TOKEN``. For tools that copy a package to another region
    (generators, benchmarks); the copy then names its own region's secrets, never the original's."""
    prefix = secret_namespace(region)
    for path, name in secret_references(doc):
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = prefix + _suffix(name)
