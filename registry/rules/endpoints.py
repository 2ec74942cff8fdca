"""Endpoints use https; plain http only for loopback (the sandbox and local dry runs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from registry.rules.access import dig
from registry.rules.context import Finding, PackageContext

if TYPE_CHECKING:
    import ipaddress

# Only hosts made of these characters can be address literals (dotted, legacy or IPv6): a DNS name such
# as simduk.mojokertokota.go.id never reaches ipaddress, which stays off the start-up path.
_ADDRESS_LIKE = re.compile(r"[0-9a-fx.:]+")

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


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of the legacy spellings the C resolver (inet_aton) accepts: 1 to 4 dot-separated parts,
    each decimal, octal (leading 0) or hex (0x), the last filling the remaining bytes — ``2130706433``,
    ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` all name 127.0.0.1. None for anything else."""
    parts = host.lower().split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        try:
            if part.startswith("0x"):
                values.append(int(part[2:], 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part[1:], 8))
            else:
                values.append(int(part, 10) if part.isdigit() else -1)
        except ValueError:
            return None
    if any(v < 0 for v in values) or any(v > 255 for v in values[:-1]):
        return None
    if values[-1] >= 256 ** (5 - len(values)):
        return None
    number = 0
    for value in values[:-1]:
        number = number * 256 + value
    number = number * 256 ** (5 - len(values)) + values[-1]
    import ipaddress

    return ipaddress.IPv4Address(number)


def _odd_address(host: str) -> str | None:
    """What is wrong with an address literal no local system needs: a legacy IPv4 spelling that hides
    an address (``2130706433`` is 127.0.0.1), or a link-local / unspecified / multicast address (the cloud
    metadata service lives at 169.254.169.254), in IPv4-mapped IPv6 spelling (``::ffff:169.254.169.254``)
    too."""
    if not _ADDRESS_LIKE.fullmatch(host.lower()):
        return None
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
        legacy = legacy_ipv4(host)
        if legacy is not None:
            return f"host '{host}' is the IPv4 address {legacy} in a hidden notation: write addresses in dotted decimal"
    if address is None:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:169.254.169.254 reaches 169.254.169.254: judged as it
    if address.is_link_local or address.is_unspecified or address.is_multicast:
        return f"host '{host}' is a link-local, unspecified or multicast address: never a local system's endpoint"
    return None


def check_endpoints(ctx: PackageContext) -> Iterator[Finding]:
    """Each endpoint URL: https, or http on a loopback address; no hidden or link-local address literal."""
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
        odd = _odd_address(host)
        if odd:
            yield Finding(path, odd)
            continue
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
