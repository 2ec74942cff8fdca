"""Production host policy: hostile package endpoints are refused before anything is sent."""

from __future__ import annotations

import pytest

from connectors.errors import FatalError
from connectors.url_policy import HostPolicy

POLICY = HostPolicy.from_setting("*.go.id,203.0.113.0/24")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "not in the allowed hosts"),
        ("http://127.0.0.1:5432/", "not in the allowed hosts"),
        ("http://10.1.2.3/", "not in the allowed hosts"),
        ("http://192.168.1.1/", "not in the allowed hosts"),
        ("http://[::1]:8080/", "not in the allowed hosts"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("gopher://x.go.id/", "scheme 'gopher' is not allowed"),
        ("https://localhost.go.id.evil.test/", "does not resolve"),
    ],
)
def test_refused(url: str, message: str) -> None:
    with pytest.raises(FatalError, match=message):
        POLICY(url)


def test_allowed_network() -> None:
    POLICY("https://203.0.113.7/api")


def test_allowed_name_that_resolves_to_loopback_is_refused() -> None:
    policy = HostPolicy.from_setting("localhost")
    with pytest.raises(FatalError, match="non-public address"):
        policy("http://localhost:8000/")
    HostPolicy.from_setting("localhost,127.0.0.0/8")("http://localhost:8000/")
