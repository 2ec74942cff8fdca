"""Small HTTP helpers shared by every sandbox server: RFC 9457 problem responses and credential checks."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    """An ``application/problem+json`` response (RFC 9457)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def bearer_ok(request: Request, token: str) -> bool:
    """True when the request carries ``Authorization: Bearer <token>`` (compared in constant time)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def basic_ok(request: Request, username: str, password: str) -> bool:
    """True when the request carries HTTP basic credentials ``username:password``."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user.encode(), username.encode()) and hmac.compare_digest(
        secret.encode(), password.encode()
    )


def api_key_ok(request: Request, header: str, key: str) -> bool:
    """True when header ``header`` holds ``key``."""
    return hmac.compare_digest(request.headers.get(header, "").encode(), key.encode())


def unauthorized(scheme: str = "Bearer") -> JSONResponse:
    """401 with the challenge a client needs."""
    response = problem(401, "Unauthorized", "missing or wrong credentials")
    response.headers["WWW-Authenticate"] = scheme
    return response
