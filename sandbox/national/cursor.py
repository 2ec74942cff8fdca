"""Opaque, signed listing cursors: ``base64url(json).base64url(hmac)``.

A client stores the cursor and sends it back unchanged. The signature (HMAC-SHA256 under the server's
``hmac_key``) makes a tampered or foreign cursor a clear 400 instead of a silently wrong position.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from sandbox.national.errors import Invalid, Issue


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, payload: bytes) -> bytes:
    return hmac.new(key.encode(), payload, hashlib.sha256).digest()[:16]


def encode(kind: str, position: int, key: str) -> str:
    """A cursor for ``position`` (the last row returned) in listing ``kind``."""
    payload = json.dumps({"k": kind, "p": position}, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def decode(token: str | None, kind: str, key: str) -> int:
    """The position a cursor stands for (0 when there is none); ``Invalid`` (400) when it is not ours."""
    if not token:
        return 0
    bad = Invalid(
        400, [Issue("query", "$.cursor", "is not a cursor this server issued (tampered, or from another server)")]
    )
    head, _, tail = token.partition(".")
    try:
        payload, signature = _unb64(head), _unb64(tail)
    except (binascii.Error, ValueError):
        raise bad from None
    if not hmac.compare_digest(signature, _mac(key, payload)):
        raise bad
    data = json.loads(payload)
    if data.get("k") != kind:
        raise Invalid(
            400, [Issue("query", "$.cursor", f"was issued for another listing ({data.get('k')}), not {kind}")]
        )
    position: int = data["p"]
    return position
