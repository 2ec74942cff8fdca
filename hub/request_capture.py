"""Seeing a request without sending it (``mpphub check``'s "submit encoding" step): a session that prepares
a request exactly as the connector's own code would send it and hands it back instead, and the field names
a local system will read, read back from the encoded bytes (JSON, form-encoded or multipart)."""

from __future__ import annotations

import email.parser
import email.policy
import json
from typing import Any
from urllib.parse import parse_qsl

import requests

from registry.rules.request_encodings import MEDIA_TYPES


class Captured(Exception):  # not an error: how the capturing session hands the request back
    """Raised by ``CaptureSession`` with the request it was asked to send."""

    def __init__(self, request: requests.PreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


class CaptureSession(requests.Session):
    """A session that prepares a request exactly as it would be sent, then raises it instead of sending
    it: the submit request is built by the connector's own code path (body mapping, encoding, headers),
    and nothing leaves the machine. It carries no auth, so no secret is ever in what is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # no ~/.netrc credentials or proxy settings in the request shown

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Never sends: hands the prepared request back."""
        raise Captured(request)


def json_field_names(value: Any, prefix: str = "") -> list[str]:
    """The field names of a JSON body, nested ones dotted (``pelapor.nik``), list items as ``[0]``."""
    if isinstance(value, dict) and value:
        return [n for k, v in value.items() for n in json_field_names(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list) and value:
        return [n for i, v in enumerate(value) for n in json_field_names(v, f"{prefix}[{i}]")]
    return [prefix] if prefix else []


def body_field_names(content_type: str, body: bytes) -> list[str]:
    """The field names a local system reads from an encoded body, read back from the bytes themselves."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == MEDIA_TYPES["form"]:
        return [name for name, _ in parse_qsl(body.decode("ascii"), keep_blank_values=True)]
    if media == MEDIA_TYPES["multipart"]:
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        return [str(part.get_param("name", header="content-disposition")) for part in message.iter_parts()]
    return json_field_names(json.loads(body)) if body else []
