"""IPv4-mapped IPv6 addresses (``[::ffff:169.254.169.254]``) are judged as the IPv4 address they reach,
by ``mpphub validate`` and by the runtime host policy, before any connection is dialled (issue 16)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import urllib3.util.connection

from connectors.errors import FatalError
from connectors.http import HttpClient
from connectors.url_policy import HostPolicy, literal_address

# a production-like policy that also lets every IPv6 address through: the mapped spelling of a
# forbidden IPv4 address must not ride on it
WIDE_IPV6 = HostPolicy.from_setting("*.go.id,203.0.113.0/24,::/0")
PRODUCTION = HostPolicy.from_setting("*.go.id,203.0.113.0/24")
MAPPED_FORBIDDEN = ["[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "[::ffff:10.0.0.1]", "[::ffff:127.0.0.1]"]


@pytest.fixture
def no_dial(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything resolves a name or opens a connection."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a connection was attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)


@pytest.mark.parametrize("host", MAPPED_FORBIDDEN)
def test_mapped_addresses_are_refused_like_their_ipv4(host: str, no_dial: None) -> None:
    for policy in (WIDE_IPV6, PRODUCTION):
        with pytest.raises(FatalError, match="not in the allowed hosts"):
            policy(f"https://{host}/latest/meta-data/")
        with pytest.raises(FatalError, match="not in the allowed hosts"):
            policy.check_static(f"https://{host}/latest/meta-data/")


def test_a_mapped_allowed_address_is_allowed_like_its_ipv4(no_dial: None) -> None:
    PRODUCTION("https://[::ffff:203.0.113.7]/api")
    PRODUCTION.check_static("https://[::ffff:203.0.113.7]/api")
    assert str(literal_address("[::ffff:203.0.113.7]")) == "203.0.113.7"


def test_the_runtime_client_refuses_before_dialling(no_dial: None) -> None:
    client = HttpClient("https://[::ffff:169.254.169.254]", url_policy=WIDE_IPV6)
    with pytest.raises(FatalError, match="not in the allowed hosts"):
        client.request("GET", "/latest/meta-data/iam/security-credentials/")


def test_a_permitted_name_resolving_to_a_mapped_forbidden_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "simduk.mojokertokota.go.id"
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:169.254.169.254", 0, 0, 0))]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)
    client = HttpClient("https://simduk.mojokertokota.go.id", url_policy=WIDE_IPV6)
    with pytest.raises(FatalError, match="non-public address"):
        client.request("GET", "/api")


@pytest.mark.parametrize("host", ["[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "[::ffff:169.254.0.1]"])
def test_validate_refuses_mapped_link_local(
    host: str, good_doc: dict[str, Any], write_package: Any, cli: Any, no_dial: None
) -> None:
    good_doc["local_system"]["base_url"] = f"https://{host}/latest"
    result = cli("validate", write_package(good_doc))
    assert result.code == 1
    assert (
        f"akta-kelahiran.json::$.local_system.base_url: host '{host.strip('[]')}' is a link-local, "
        "unspecified or multicast address" in result.out
    )


def test_validate_with_a_host_policy_refuses_mapped_private(
    good_doc: dict[str, Any], write_package: Any, cli: Any, no_dial: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPPHUB_ALLOWED_HOSTS", "*.go.id,203.0.113.0/24,::/0")
    good_doc["local_system"]["base_url"] = "https://[::ffff:10.0.0.1]/api"
    result = cli("validate", write_package(good_doc))
    assert result.code == 1
    assert "::$.local_system.base_url: host ::ffff:10.0.0.1 is not in the allowed hosts" in result.out
