"""Resolving the secret *names* a package holds (``secret_ref``, ``*_ref``) to their values.

Inside Airflow the DAG layer passes a resolver backed by Airflow Connections; elsewhere the value is the
environment variable of the same name. A package may name only secrets in its own region's namespace
(``registry.secret_scope``: ``R3576_...`` for 35.76): every connector resolves through ``RegionSecrets``,
and the environment resolver refuses any name outside every namespace (``MPPHUB_LEDGER_URL``, ``HOME``),
so the hub's own settings can never be resolved for a package. A missing or refused secret is fatal for
its package, and its value never appears in a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from connectors.errors import FatalError
from registry.secret_scope import PACKAGE_SECRET, namespace_problem


class SecretResolver(Protocol):
    """Anything that turns a secret's name into its value."""

    def get(self, name: str) -> str:
        """The value of secret ``name``; FatalError if there is none."""
        ...


def refuse_unscoped(name: str) -> None:
    """FatalError unless ``name`` has the shape of a package secret (``R<region digits>_...``): the hub's
    settings and the rest of the process environment are never a package's secret."""
    if not PACKAGE_SECRET.match(name):
        raise FatalError(
            f"secret {name} is not a package secret: packages may only name secrets of their region's "
            "namespace (R + region code without dots + _, e.g. R3576_DISPENDUK_TOKEN)"
        )


class EnvSecrets:
    """Secrets from environment variables named like the reference (package namespaces only)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    def get(self, name: str) -> str:
        """The environment variable ``name``; never one outside the package namespaces."""
        refuse_unscoped(name)
        value = self._environ.get(name)
        if not value:
            raise FatalError(f"secret {name} is not set: define it as an environment variable or an Airflow Connection")
        return value


class StaticSecrets:
    """Secrets from a mapping (the sandbox and tests)."""

    def __init__(self, values: Mapping[str, str], fallback: SecretResolver | None = None) -> None:
        self._values = dict(values)
        self._fallback = fallback

    def get(self, name: str) -> str:
        """The value given for ``name`` (or the fallback's)."""
        if name in self._values:
            return self._values[name]
        if self._fallback is not None:
            return self._fallback.get(name)
        raise FatalError(f"secret {name} is not set")


class RegionSecrets:
    """A resolver limited to one region's namespace: what a package of that region may resolve."""

    def __init__(self, inner: SecretResolver, region: str) -> None:
        self._inner = inner
        self.region = region

    def get(self, name: str) -> str:
        """The secret ``name`` if it lies in the region's namespace; FatalError (nothing resolved) if not."""
        problem = namespace_problem(name, self.region)
        if problem:
            raise FatalError(problem)
        return self._inner.get(name)


def for_package(secrets: SecretResolver, package: Mapping[str, object]) -> RegionSecrets:
    """``secrets`` limited to the namespace of ``package``'s region (idempotent)."""
    region = package.get("region")
    if isinstance(secrets, RegionSecrets) and secrets.region == region:
        return secrets
    return RegionSecrets(secrets, region if isinstance(region, str) else "")
