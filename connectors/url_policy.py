"""Which hosts a package may make the hub call. A hostile package could aim its endpoints at internal
addresses (cloud metadata at 169.254.169.254, the hub's own database...), so the hub is secure by default:

- **no host policy configured** (``MPPHUB_ALLOWED_HOSTS`` unset): any public host is allowed, and every
  non-public address is refused — loopback, private (10/8, 172.16/12, 192.168/16), shared CGNAT
  (100.64/10), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), unspecified (0.0.0.0, ::),
  multicast and reserved ranges, in every spelling (``127.1``, ``0x7f000001``, ``2130706433``,
  ``017700000001``, ``[::ffff:127.0.0.1]``, ``LOCALHOST``, ``localhost.``) and names that resolve there.
  ``MPPHUB_ALLOW_LOOPBACK=1`` lets loopback through (the sandbox, the demo, the tests, a dry run on this
  machine), never a private range;
- **a host policy configured** (production): only the hosts and networks it lists; a permitted name is
  checked again by the addresses it resolves to. Private ranges are allowed by listing them
  (``10.20.0.0/16``).

Names are judged by the addresses they resolve to before any connection is dialled (``check_host``);
``check_static`` is the same decision without DNS, for ``mpphub validate`` and publish."""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

from connectors.errors import FatalError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_LOOPBACK_SETTING = "MPPHUB_ALLOW_LOOPBACK"
_TRUE = ("1", "true", "yes", "on")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT: neither private nor global
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# what the two opt-ins say, in every refusal of the default policy
_LOOPBACK_HINT = f"set {ALLOW_LOOPBACK_SETTING}=1 to allow loopback (for the sandbox or a dry run on this machine)"
_POLICY_HINT = (
    "to allow it, list its network in MPPHUB_ALLOWED_HOSTS (e.g. {network}) with the public hosts packages may reach"
)
_NEVER_HINT = "never a local system's endpoint (only a network listed in MPPHUB_ALLOWED_HOSTS is allowed there)"


def unmapped(address: IpAddress) -> IpAddress:
    """An IPv4-mapped IPv6 address (``::ffff:169.254.169.254``) as the IPv4 address it reaches: the
    policy judges it exactly as that address, never as some IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a translation prefix carries (NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``,
    IPv4-compatible ``::a.b.c.d``): such an address may be routed to that IPv4 address."""
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def non_public_kind(address: IpAddress) -> str | None:
    """What kind of non-public address ``address`` is (``"loopback"``, ``"private"``, ``"link-local"``...),
    or None for a public (globally routable unicast) address. Judged as the IPv4 address it maps to."""
    address = unmapped(address)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL:
        return "unique-local"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "shared (CGNAT)"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and non_public_kind(embedded) is not None:
            # never allowed by the loopback opt-in: only plain loopback is
            return "translated non-public"
    return None


def loopback_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``MPPHUB_ALLOW_LOOPBACK`` opts in to loopback endpoints (``1``, ``true``, ``yes``, ``on``)."""
    env = os.environ if environ is None else environ
    return env.get(ALLOW_LOOPBACK_SETTING, "").strip().lower() in _TRUE


def is_localhost_name(host: str) -> bool:
    """``localhost`` and its subdomains (RFC 6761: always loopback), in any case, with or without the
    final dot."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


class HostPolicy:
    """Allow a URL when its host matches a pattern (``*.go.id``) or all its addresses lie in an allowed
    network; everything else is refused before any byte is sent. ``HostPolicy.secure_default()`` is the
    policy without a configured list: public addresses only (and loopback when opted in)."""

    def __init__(self, allowed: list[str], *, public: bool = False, allow_loopback: bool = False) -> None:
        self.patterns: list[str] = []
        self.networks: list[IpNetwork] = []
        # the default policy (no list configured): any public address, loopback only when opted in
        self.public = public
        self.allow_loopback = allow_loopback
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

    @classmethod
    def secure_default(cls, allow_loopback: bool = False) -> HostPolicy:
        """The policy when none is configured: public hosts only; loopback too with ``allow_loopback``."""
        return cls([], public=True, allow_loopback=allow_loopback)

    def _addresses(self, host: str) -> list[IpAddress]:
        address = literal_address(host)  # every spelling of an address literal, without a lookup
        if address is not None:
            return [address]
        try:
            infos = socket.getaddrinfo(host, None)
        except (socket.gaierror, UnicodeError):
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
        host = host.strip("[]").lower()
        if self.public:
            self._check_default(host)
            return
        addresses = self._addresses(host)
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in self.patterns):
            # a permitted name must still not resolve into a forbidden range (DNS rebinding)
            bad = [a for a in addresses if non_public_kind(a) is not None and not self._in_networks(a)]
            if addresses and not bad:
                return
            raise FatalError(f"host {host} resolves to a non-public address not in the allowed ranges")
        if addresses and all(self._in_networks(a) for a in addresses):
            return
        raise FatalError(f"host {host} is not in the allowed hosts of this hub (MPPHUB_ALLOWED_HOSTS)")

    def _check_default(self, host: str) -> None:
        """The default policy at run time: the literal address, or every address the name resolves to,
        must be public (or loopback, when opted in). ``localhost`` names are refused without a lookup."""
        if not host:
            raise FatalError("the URL names no host")
        if is_localhost_name(host):
            self._judge(host, "loopback", None, resolved=False)
            return
        literal = literal_address(host)
        addresses = [literal] if literal is not None else self._addresses(host)
        if not addresses:
            raise FatalError(f"host {host!r} does not resolve")
        for address in addresses:
            self._judge(host, non_public_kind(address), address, resolved=literal is None)

    def _judge(self, host: str, kind: str | None, address: IpAddress | None, resolved: bool) -> None:
        if kind is None or (self.allow_loopback and kind in ("loopback", "unspecified")):
            return
        article = "an" if kind[0] in "aeiou" else "a"
        if resolved:
            what = f"resolves to {article} {kind} address ({address})"
        else:  # a hidden spelling (127.1, 2130706433) is shown with the address it names
            shown = f" ({address})" if address is not None and str(address) != host.strip("[]") else ""
            what = f"is {article} {kind} {'address' if address is not None else 'name'}{shown}"
        if kind in ("loopback", "unspecified"):
            hint = _LOOPBACK_HINT
        elif kind in ("private", "unique-local", "shared (CGNAT)"):
            hint = _POLICY_HINT.format(network=_suggested_network(address))
        else:  # link-local (the cloud metadata service), multicast, reserved: no local system lives there
            hint = _NEVER_HINT
        raise FatalError(f"host {host} {what}, refused without a host policy: {hint}")

    def check_static(self, url: str) -> None:
        """The same decision without DNS (for ``mpphub validate``): an address literal in any spelling
        (``2130706433``, ``0x7f.1``...) must lie in an allowed network (by default: be public), a name must
        match a pattern (by default: any name but ``localhost``). Names are checked again by their
        addresses at run time."""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http"):
            raise FatalError(f"scheme {parts.scheme!r} is not allowed")
        host = (parts.hostname or "").lower()
        address = literal_address(host)
        if self.public:
            if not host:
                raise FatalError("the URL names no host")
            if address is not None:
                self._judge(host, non_public_kind(address), address, resolved=False)
            elif is_localhost_name(host):
                self._judge(host, "loopback", None, resolved=False)
            return
        if address is None and any(fnmatch.fnmatchcase(host, pattern) for pattern in self.patterns):
            return
        if address is not None and self._in_networks(address):
            return
        raise FatalError(f"host {host} is not in the allowed hosts of this hub (MPPHUB_ALLOWED_HOSTS)")

    def _in_networks(self, address: IpAddress) -> bool:
        return any(address in network for network in self.networks)


def _suggested_network(address: IpAddress | None) -> str:
    """A network to list for ``address`` in the refusal's hint (its /16, or /64 for IPv6)."""
    if address is None:
        return "10.20.0.0/16"
    prefix = 16 if isinstance(address, ipaddress.IPv4Address) else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def host_policy(allowed_hosts: str, allow_loopback: bool | None = None) -> HostPolicy:
    """The hub's host policy: the configured list (``MPPHUB_ALLOWED_HOSTS``) when there is one, else the
    secure default. ``allow_loopback`` None reads ``MPPHUB_ALLOW_LOOPBACK`` (it only widens the default:
    under a configured list, loopback is allowed by listing ``127.0.0.0/8``)."""
    if allowed_hosts.strip():
        return HostPolicy.from_setting(allowed_hosts)
    return HostPolicy.secure_default(loopback_allowed() if allow_loopback is None else allow_loopback)


def literal_address(host: str) -> IpAddress | None:
    """The address a host names literally, including the legacy IPv4 spellings the C resolver accepts
    (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``) and IPv4-mapped IPv6 (``::ffff:10.0.0.1``
    is 10.0.0.1); None for a DNS name."""
    host = host.strip("[]")
    try:
        return unmapped(ipaddress.ip_address(host))
    except ValueError:
        pass
    host = host.lower()
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]  # a final dot: the resolver may still read the rest as an address
    if host and all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None
