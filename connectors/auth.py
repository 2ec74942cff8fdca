"""Authentication of the REST connector, from the package's ``auth`` block and resolved secrets."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from connectors.errors import FatalError, RetriableError
from connectors.masking import register_query_secret
from connectors.secrets import SecretResolver


class HeaderAuth(AuthBase):
    """A fixed header (``Authorization: Bearer ...`` or an API-key header)."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the header."""
        request.headers[self.name] = self.value
        return request


class QueryKeyAuth(AuthBase):
    """An API key in the query string (some regional APIs want it so; the hub never logs full URLs)."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value
        register_query_secret(name)  # every URL now carries it: logs and messages mask its value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the key to the query string."""
        request.prepare_url(request.url, {self.name: self.value})
        return request


class ClientCredentialsAuth(AuthBase):
    """OAuth2 client credentials: a token from ``token_url``, cached until shortly before it expires."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: list[str],
        timeout: float,
        url_policy: Callable[[str], None] | None = None,
    ) -> None:
        self.token_url, self.client_id, self.client_secret = token_url, client_id, client_secret
        self.scopes, self.timeout = scopes, timeout
        # the token endpoint is a package's URL too: the host policy judges it before it is dialled
        self.url_policy = url_policy
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        """A valid access token (fetched when missing or about to expire)."""
        with self._lock:
            if self._token and time.monotonic() < self._expires:
                return self._token
            data = {"grant_type": "client_credentials"}
            if self.scopes:
                data["scope"] = " ".join(self.scopes)
            if self.url_policy is not None:
                self.url_policy(self.token_url)  # FatalError: refused before any byte is sent
            try:
                response = requests.post(
                    self.token_url,
                    data=data,
                    auth=HTTPBasicAuth(self.client_id, self.client_secret),
                    timeout=self.timeout,
                    # under a policy a redirect is not followed: it could bounce to an internal host
                    allow_redirects=self.url_policy is None,
                )
            except requests.RequestException as exc:
                raise RetriableError(f"token endpoint unreachable: {type(exc).__name__}") from None
            if response.status_code in (400, 401, 403):
                raise FatalError(f"token endpoint refused the client credentials ({response.status_code})")
            if response.status_code != 200:
                raise RetriableError(f"token endpoint answered {response.status_code}")
            body = response.json()
            self._token = str(body["access_token"])
            self._expires = time.monotonic() + max(float(body.get("expires_in", 300)) - 30, 5)
            return self._token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add a valid bearer token."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request


def build_auth(
    spec: dict[str, Any], secrets: SecretResolver, timeout: float, url_policy: Callable[[str], None] | None = None
) -> AuthBase | None:
    """The requests auth object for an ``auth`` block (None for ``none``); ``url_policy`` judges an OAuth
    token endpoint before each token request."""
    kind = spec["type"]
    if kind == "none":
        return None
    if kind == "bearer":
        return HeaderAuth("Authorization", f"Bearer {secrets.get(spec['secret_ref'])}")
    if kind == "api_key":
        value = secrets.get(spec["secret_ref"])
        return HeaderAuth(spec["name"], value) if spec["in"] == "header" else QueryKeyAuth(spec["name"], value)
    if kind == "basic":
        return HTTPBasicAuth(secrets.get(spec["username_ref"]), secrets.get(spec["password_ref"]))
    if kind == "oauth2_client_credentials":
        return ClientCredentialsAuth(
            spec["token_url"],
            secrets.get(spec["client_id_ref"]),
            secrets.get(spec["client_secret_ref"]),
            spec.get("scopes", []),
            timeout,
            url_policy,
        )
    raise FatalError(f"unknown auth type {kind!r}")
