"""Which hosts a package may make the hub call. A hostile package could aim its endpoints at internal
addresses (cloud metadata at 169.254.169.254, the hub's own database...): in production only configured
hosts and ranges are allowed, and a name is checked again by the addresses it resolves to."""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from urllib.parse import urlsplit

from connectors.errors import FatalError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def unmapped(address: IpAddress) -> IpAddress:
    """An IPv4-mapped IPv6 address (``::ffff:169.254.169.254``) as the IPv4 address it reaches: the
    policy judges it exactly as that address, never as some IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class HostPolicy:
    """Allow a URL when its host matches a pattern (``*.go.id``) or all its addresses lie in an allowed
    network; everything else is refused before any byte is sent."""

    def __init__(self, allowed: list[str]) -> None:
        self.patterns: list[str] = []
        self.networks: list[IpNetwork] = []
        for entry in allowed:
            entry = entry.strip()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.patterns.append(entry.lower())

    @classmethod
    def from_setting(cls, value: str) -> HostPolicy:
        """From a comma-separated setting: ``*.go.id,10.20.0.0/16``."""
        return cls(value.split(","))

    def _addresses(self, host: str) -> list[IpAddress]:
        try:
            return [unmapped(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(host, None)
        except socket.gaierror:
            raise FatalError(f"host {host!r} does not resolve") from None
        return [unmapped(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])) for info in infos]

    def __call__(self, url: str) -> None:
        """Raise FatalError unless ``url`` may be called."""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http"):
            raise FatalError(f"scheme {parts.scheme!r} is not allowed")
        self.check_host((parts.hostname or "").lower())

    def check_host(self, host: str) -> None:
        """Raise FatalError unless ``host`` (a name, checked again by the addresses it resolves to, or an
        address) may be reached: the decision of ``__call__`` for any protocol (the ``sql`` kind uses it)."""
        addresses = self._addresses(host)
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in self.patterns):
            # a permitted name must still not resolve into a forbidden range (DNS rebinding)
            bad = [
                a for a in addresses if (a.is_private or a.is_loopback or a.is_link_local) and not self._in_networks(a)
            ]
            if not bad:
                return
            raise FatalError(f"host {host} resolves to a non-public address not in the allowed ranges")
        if addresses and all(self._in_networks(a) for a in addresses):
            return
        raise FatalError(f"host {host} is not in the allowed hosts of this hub (MPPHUB_ALLOWED_HOSTS)")

    def check_static(self, url: str) -> None:
        """The same decision without DNS (for ``mpphub validate``): an address literal in any spelling
        (``2130706433``, ``0x7f.1``...) must lie in an allowed network, a name must match a pattern.
        Names are checked again by their addresses at run time."""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http"):
            raise FatalError(f"scheme {parts.scheme!r} is not allowed")
        host = (parts.hostname or "").lower()
        address = literal_address(host)
        if address is None and any(fnmatch.fnmatchcase(host, pattern) for pattern in self.patterns):
            return
        if address is not None and self._in_networks(address):
            return
        raise FatalError(f"host {host} is not in the allowed hosts of this hub (MPPHUB_ALLOWED_HOSTS)")

    def _in_networks(self, address: IpAddress) -> bool:
        return any(address in network for network in self.networks)


def literal_address(host: str) -> IpAddress | None:
    """The address a host names literally, including the legacy IPv4 spellings the C resolver accepts
    (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``) and IPv4-mapped IPv6 (``::ffff:10.0.0.1``
    is 10.0.0.1); None for a DNS name."""
    try:
        return unmapped(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None
