"""The HTTP client reads the proxy variables once per origin instead of on every request: the same
meaning as requests' own per-call reading (``no_proxy`` honoured), and no credentials from ~/.netrc."""

from __future__ import annotations

import pytest

from connectors.http import HttpClient


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8700/x", None),  # in no_proxy
        ("http://internal.example.go.id/api", None),  # a no_proxy domain suffix
        ("http://siak.example.org/api", "http://proxy.test:3128"),
        ("https://siak.example.org/api", "http://secure-proxy.test:3128"),
    ],
)
def test_proxies_come_from_the_environment_per_origin(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str | None
) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", "http://proxy.test:3128")
    monkeypatch.setenv("https_proxy", "http://secure-proxy.test:3128")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,.example.go.id")
    client = HttpClient("http://127.0.0.1:8700")
    found = client._proxies_for(url)
    assert found.get(url.split(":", 1)[0]) == expected  # the proxy requests will use for this URL
    assert client._proxies_for(url) is found  # read once per origin


def test_no_netrc_and_the_ca_bundle_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    client = HttpClient("https://siak.example.org")
    assert client.session.trust_env is False  # no per-call environment reading, no ~/.netrc credentials
    assert client.session.verify == "/etc/ssl/certs/ca-certificates.crt"
