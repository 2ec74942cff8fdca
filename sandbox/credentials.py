"""The sandbox's loopback credentials, and which package secret references they answer to — so that
``mpphub sync`` can run against the sandbox with nothing but environment variables."""

from __future__ import annotations

from typing import Any

NATIONAL_TOKEN = "sandbox-national-token"  # noqa: S105 - documented loopback sandbox credential
LOCAL_TOKEN = "sandbox-local-token"  # noqa: S105
LOCAL_USERNAME = "sandbox"
LOCAL_PASSWORD = "sandbox-password"  # noqa: S105
LOCAL_API_KEY = "sandbox-api-key"


def rest_style(package: dict[str, Any]) -> str:
    """'indonesian' (honours Idempotency-Key), 'form' (the PHP style: form posts, ``rest_form``) or 'cursor'
    (lookup by reference) for a REST package."""
    local = package["local_system"]
    if local["idempotency"]["strategy"] == "key_header":
        return "indonesian"
    return "form" if local["operations"]["submit"].get("body_encoding") == "form" else "cursor"


def http_style(package: dict[str, Any]) -> str | None:
    """The simulated HTTP system serving a package: its REST style, ``soap`` (``soap_service``), or None
    for a kind without one (``sql``: tables in a scratch database, sandbox/world.py)."""
    kind = package["local_system"]["kind"]
    if kind == "rest":
        return rest_style(package)
    return kind if kind in FACTORIES else None


# the simulated HTTP systems' app factories and credentials, by style
FACTORIES = {
    "indonesian": "sandbox.local.rest_indonesian:create_app",
    "cursor": "sandbox.local.rest_cursor:create_app",
    "form": "sandbox.local.rest_form:create_app",
    "soap": "sandbox.local.soap_service:create_app",
}


def factory_kwargs(style: str) -> dict[str, Any]:
    """The sandbox credentials a simulated REST system of ``style`` is created with."""
    if style == "indonesian":
        return {"token": LOCAL_TOKEN}
    if style == "form":
        return {"api_key": LOCAL_API_KEY}
    if style == "soap":
        return {"username": LOCAL_USERNAME, "password": LOCAL_PASSWORD}
    return {"username": LOCAL_USERNAME, "password": LOCAL_PASSWORD, "api_key": LOCAL_API_KEY}


def secret_values(packages: list[dict[str, Any]]) -> dict[str, str]:
    """Every HTTP package's secret references (its ``auth``) -> the sandbox credential of that auth kind."""
    values: dict[str, str] = {}
    for package in packages:
        auth = package["local_system"].get("auth")
        if auth is None:
            continue
        if auth["type"] == "bearer":
            values[auth["secret_ref"]] = LOCAL_TOKEN
        elif auth["type"] == "basic":
            values[auth["username_ref"]] = LOCAL_USERNAME
            values[auth["password_ref"]] = LOCAL_PASSWORD
        elif auth["type"] == "api_key":
            values[auth["secret_ref"]] = LOCAL_API_KEY
    return values
