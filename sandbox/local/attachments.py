"""Attachments as the simulated systems receive them: inline base64 entries of a body field, or one
multipart/form-data file per request. Only metadata and the sha256 are kept (tests compare the digest
with the national layer's), never the content."""

from __future__ import annotations

import base64
import binascii
import hashlib
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

# Keys an inline entry may carry its content under: the hub's connector sends "isi_base64".
_CONTENT_KEYS = ("isi_base64", "content_base64", "base64")


def describe(content: bytes, filename: str | None, media_type: str | None, requirement: str | None) -> dict[str, Any]:
    """What is kept of one received file."""
    return {
        "filename": filename,
        "media_type": media_type,
        "requirement_id": requirement,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def decode_inline(value: Any, field: str) -> list[dict[str, Any]]:
    """The entries of an inline attachment field (a list of objects with base64 content). A declared
    ``sha256`` must match the content: a local system that checks it catches a corrupted transfer.
    Raises ValueError with a message that names the entry, never its content."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{field} must be a list of attachments")
    received = []
    for index, entry in enumerate(value):
        key = next((k for k in _CONTENT_KEYS if isinstance(entry, dict) and k in entry), None)
        if key is None:
            raise ValueError(f"{field}[{index}] has no base64 content ({' / '.join(_CONTENT_KEYS)})")
        try:
            content = base64.b64decode(str(entry[key]), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{field}[{index}].{key} is not valid base64") from None
        meta = describe(content, entry.get("nama_berkas") or entry.get("filename"), None, entry.get("jenis"))
        if entry.get("sha256") not in (None, meta["sha256"]):
            raise ValueError(f"{field}[{index}]: sha256 does not match the content")
        received.append(meta)
    return received


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    """The files of a multipart/form-data body as (form field name, metadata). ValueError if it is not one."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ValueError("expected a multipart/form-data body")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("the multipart body has no parts")
    files = []
    for part in message.iter_parts():
        filename = part.get_filename()
        if filename is None:
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            raise ValueError("unreadable multipart part")
        name = part.get_param("name", header="content-disposition")
        files.append((str(name) if name else None, describe(content, filename, part.get_content_type(), None)))
    if not files:
        raise ValueError("the multipart body carries no file")
    return files
