"""How a request body goes on the wire: ``operations.submit.body_encoding`` (docs/local-systems.md).

- ``json`` (default): the mapped object as JSON (requests sets ``application/json``).
- ``form``: ``application/x-www-form-urlencoded``; a nested value is flattened into one field per scalar,
  named by ``form_nesting`` (``pemohon[nik]``, ``berkas[0][nama]``; or ``pemohon.nik``, ``berkas[0].nama``).
- ``multipart``: ``multipart/form-data`` with the same fields as parts, and the application's files as
  file parts when ``attachments.mode`` is ``form_files``.

The Content-Type always follows the encoding: a fixed header that contradicts it (refused by
``mpphub validate``, rule ``request-encoding``) is dropped here too, so a package that skipped validation
still never sends JSON bytes labelled as a form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from urllib3.filepost import encode_multipart_formdata

from registry.rules.request_encodings import DEFAULT_ENCODING, DEFAULT_NESTING, MEDIA_TYPES, content_type_fits

DEFAULT_FILE_FIELD = "lampiran[{requirement_id}]"
FilePart = tuple[str, str, bytes, str]  # (field name, file name, content, media type)


class EncodedBody:
    """A body ready for ``HttpClient.request``: either ``json`` (requests encodes it and sets the
    Content-Type) or ``data`` bytes with the ``content_type`` they were encoded for."""

    __slots__ = ("content_type", "data", "json")

    def __init__(self, json: Any = None, data: bytes | None = None, content_type: str | None = None) -> None:
        self.json = json
        self.data = data
        self.content_type = content_type


def form_value(value: Any) -> str:
    """A scalar as form text: text as it is, true/false and numbers as JSON writes them (never Python's
    ``True``), anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def form_fields(body: Mapping[str, Any], nesting: str = DEFAULT_NESTING) -> list[tuple[str, str]]:
    """The body as (name, text) pairs, in mapping order: a nested object's keys are appended as
    ``[key]`` (``brackets``) or ``.key`` (``dots``), a list's items as ``[0]``, ``[1]``... in both styles.
    Nulls, empty objects and empty lists send nothing (as a null target does). Iterative: a deep value
    cannot exhaust the stack."""
    fields: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = list(reversed(list(body.items())))
    while stack:
        name, value = stack.pop()
        if value is None:
            continue
        if isinstance(value, dict):
            children = [(f"{name}[{k}]" if nesting == "brackets" else f"{name}.{k}", v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(f"{name}[{i}]", v) for i, v in enumerate(value)]
        else:
            fields.append((name, form_value(value)))
            continue
        stack.extend(reversed(children))
    return fields


def file_field(template: str | None, requirement_id: str, index: int) -> str:
    """The part name of one file: ``{requirement_id}`` and ``{index}`` (its position) replaced."""
    name = template or DEFAULT_FILE_FIELD
    return name.replace("{requirement_id}", requirement_id).replace("{index}", str(index))


def encode_body(op: Mapping[str, Any], body: dict[str, Any], files: Iterable[FilePart] = ()) -> EncodedBody:
    """Encode a mapped body as the operation's ``body_encoding`` says (``files`` go only in multipart)."""
    encoding = op.get("body_encoding", DEFAULT_ENCODING)
    if encoding == "json":
        return EncodedBody(json=body)
    fields = form_fields(body, op.get("form_nesting", DEFAULT_NESTING))
    if encoding == "form":
        return EncodedBody(data=urlencode(fields).encode("ascii"), content_type=_declared(op, encoding))
    parts: list[tuple[str, Any]] = [(name, text) for name, text in fields]
    parts.extend((name, (filename, content, media_type)) for name, filename, content, media_type in files)
    data, content_type = encode_multipart_formdata(parts)
    return EncodedBody(data=data, content_type=content_type)


def request_headers(op: Mapping[str, Any], encoded: EncodedBody) -> dict[str, str]:
    """The operation's fixed headers with the Content-Type the encoding needs: a declared one that fits
    stays as written (it may add a charset), one that does not is replaced."""
    headers = dict(op.get("headers", {}))
    encoding = op.get("body_encoding", DEFAULT_ENCODING)
    for name in [n for n in headers if n.lower() == "content-type"]:
        if encoded.content_type is not None or not content_type_fits(encoding, headers[name]):
            del headers[name]
    if encoded.content_type is not None:
        headers["Content-Type"] = encoded.content_type
    return headers


def _declared(op: Mapping[str, Any], encoding: str) -> str:
    """A declared Content-Type that fits the encoding (e.g. with ``; charset=UTF-8``), else the plain one."""
    for name, value in op.get("headers", {}).items():
        if name.lower() == "content-type" and content_type_fits(encoding, value):
            return str(value)
    return MEDIA_TYPES[encoding]
