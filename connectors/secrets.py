"""Resolving the secret *names* a package holds (``secret_ref``, ``*_ref``) to their values.

Inside Airflow the DAG layer passes a resolver backed by Airflow Connections; elsewhere the value is the
environment variable of the same name. A missing secret is fatal for its package, and its value never
appears in a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from connectors.errors import FatalError


class SecretResolver(Protocol):
    """Anything that turns a secret's name into its value."""

    def get(self, name: str) -> str:
        """The value of secret ``name``; FatalError if there is none."""
        ...


class EnvSecrets:
    """Secrets from environment variables named like the reference."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    def get(self, name: str) -> str:
        """The environment variable ``name``."""
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
