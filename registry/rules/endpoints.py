"""Endpoints use https; plain http only for loopback (the sandbox and local dry runs)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from registry.rules.access import dig
from registry.rules.context import Finding, PackageContext

_URL_FIELDS = (("local_system", "base_url"), ("local_system", "auth", "token_url"))


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    import ipaddress  # only plain-http URLs get here: kept off the start-up path

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoints(ctx: PackageContext) -> Iterator[Finding]:
    """Each endpoint URL: https, or http on a loopback address."""
    for path in _URL_FIELDS:
        url = dig(ctx.doc, *path)
        if not isinstance(url, str) or "://" not in url:
            continue  # absent, or the schema reports the shape
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname or ""
        except ValueError:
            yield Finding(path, "not a valid URL")
            continue
        scheme = parts.scheme.lower()
        if scheme == "https":
            continue
        if scheme == "http":
            if not is_loopback_host(host):
                yield Finding(
                    path,
                    f"plain http to '{host}' is not allowed: use https "
                    "(http is accepted only for loopback sandbox addresses such as http://127.0.0.1:8001)",
                )
            continue
        yield Finding(path, f"scheme '{scheme}' is not allowed: endpoints must be https URLs")
