"""One host policy on every path: ``mpphub validate``, ``mpphub publish`` and the API's publish refuse a
package whose endpoints this hub would refuse to call, so a package aimed at an internal address never
reaches the registry. The policy is ``MPPHUB_ALLOWED_HOSTS`` when configured, else the secure default
(public hosts only; loopback with ``MPPHUB_ALLOW_LOOPBACK=1``): ``connectors.url_policy.host_policy``.
``registry/`` stays pure (no network code): the check is handed to ``registry.publish.publish`` as a
callable."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from registry.problems import Problem

RULE = "endpoint-allowed-host"


def allowed_hosts_setting() -> str:
    """The configured host policy (empty: none configured)."""
    return os.environ.get("MPPHUB_ALLOWED_HOSTS", "")


def endpoint_problems(file: str, doc: Any, allowed: str, allow_loopback: bool | None = None) -> list[Problem]:
    """Problems for each HTTP endpoint of ``doc`` (base URL, OAuth token URL) that the host policy refuses:
    ``allowed`` (``MPPHUB_ALLOWED_HOSTS``) when set, else the secure default (``allow_loopback`` None: read
    ``MPPHUB_ALLOW_LOOPBACK``). Without DNS: names are checked again by their addresses when called. SQL
    connection URLs are secrets, resolved only at run time, and are not checked here."""
    from connectors.errors import FatalError
    from connectors.url_policy import host_policy

    policy = host_policy(allowed, allow_loopback)
    local = doc.get("local_system") if isinstance(doc, dict) else None
    auth = local.get("auth") if isinstance(local, dict) else None
    problems = []
    for path, url in (
        ("$.local_system.base_url", local.get("base_url") if isinstance(local, dict) else None),
        ("$.local_system.auth.token_url", auth.get("token_url") if isinstance(auth, dict) else None),
    ):
        if not isinstance(url, str):
            continue
        try:
            policy.check_static(url)
        except (FatalError, ValueError) as exc:
            problems.append(Problem(file, path, str(exc), RULE))
    return problems


def publish_check() -> Callable[[str, dict[str, Any]], list[Problem]]:
    """The extra check ``registry.publish.publish`` runs under this hub's settings."""
    allowed = allowed_hosts_setting()
    return lambda file, doc: endpoint_problems(file, doc, allowed)
