"""Helpers of the local-system tests: packages by style, made-up applications, and a small client that
does only what a package declares (submit body, reference_path, lookup, pagination, records, fields)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import random
import uuid
from typing import Any

import jmespath
import jsonschema_rs
import requests

from registry.schemas import national_transitions
from registry.synthetic.forms import sample_form
from sandbox.local.catalogue import load_packages
from sandbox.local.mapping import build_object

PACKAGES = load_packages()
SQL = [p for p in PACKAGES if p["local_system"]["kind"] == "sql"]
REST = [p for p in PACKAGES if p["local_system"]["kind"] == "rest"]
INDONESIAN = [p for p in REST if p["local_system"]["idempotency"]["strategy"] == "key_header"]
# the PHP style (sandbox/local/rest_form.py) looks up by reference too, but posts forms to its own server
FORM = [p for p in REST if p["local_system"]["operations"]["submit"].get("body_encoding") == "form"]
CURSOR = [p for p in REST if p["local_system"]["idempotency"]["strategy"] == "lookup_by_reference" and p not in FORM]
TIMEOUT = 10


def ids(packages: list[dict[str, Any]]) -> list[str]:
    """Package ids, for parametrize."""
    return [str(p["id"]) for p in packages]


def envelope(package: dict[str, Any], channel: str = "online", attachment: bytes | None = None) -> dict[str, Any]:
    """A made-up application envelope (a fresh national id each time)."""
    application: dict[str, Any] = {
        "id": f"MPP-{uuid.uuid4().hex[:16].upper()}",
        "service_id": package["id"],
        "package_version": package["version"],
        "region": package["region"],
        "submitted_at": "2026-11-02T08:30:00+07:00",
        "channel": channel,
    }
    if attachment is not None:
        application["attachments"] = [
            {
                "requirement_id": "ktp",
                "filename": "ktp.pdf",
                "media_type": "application/pdf",
                "size": len(attachment),
                "sha256": hashlib.sha256(attachment).hexdigest(),
            }
        ]
    return application


def seeded(seed: int) -> random.Random:
    """A seeded RNG for reproducible test data."""
    return random.Random(seed)  # noqa: S311 - test data, not cryptography


def form(package: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """A valid form for the package."""
    return sample_form(package["form"], seeded(seed))


def submit_body(
    package: dict[str, Any], application: dict[str, Any], data: dict[str, Any], content: bytes | None = None
) -> dict[str, Any]:
    """The submit body exactly as the package maps it (plus inline attachments when it declares them)."""
    submit = package["local_system"]["operations"]["submit"]
    body = build_object(submit["body"], {"application": application, "form": data})
    inline = submit.get("attachments", {})
    if content is not None and inline.get("mode") == "inline_base64":
        body[inline["field"]] = [
            {
                "nama_berkas": "ktp.pdf",
                "jenis": "ktp",
                "sha256": hashlib.sha256(content).hexdigest(),
                "isi_base64": base64.b64encode(content).decode(),
            }
        ]
    return body


def fill(template: str, application: dict[str, Any]) -> str:
    """``{application.id}`` placeholders of a path or query value."""
    for key, value in application.items():
        template = template.replace("{application." + key + "}", str(value))
    return template


def walk(
    session: requests.Session,
    base_url: str,
    op: dict[str, Any],
    extra: dict[str, Any] | None = None,
    page_size: int | None = None,
) -> list[list[dict[str, Any]]]:
    """Every page of an incremental operation, paginated as the package declares; the records of each."""
    pagination, style = op["pagination"], op["pagination"]["style"]
    params = {**op.get("query", {}), **(extra or {})}
    size = page_size or pagination.get("page_size")
    if size and pagination.get("size_param"):
        params[pagination["size_param"]] = size
    pages: list[list[dict[str, Any]]] = []
    url: str | None = base_url + op["path"]
    page_number = pagination.get("first_page", 1)
    while url is not None and len(pages) < 500:
        query: dict[str, Any] | None = dict(params)
        if style == "page_number":
            query = {**params, pagination["page_param"]: page_number}
        response = session.request(op["method"], url, params=query, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        records = jmespath.search(op["records_path"], response.json())
        pages.append(records)
        if style == "page_number":
            page_number += 1
            url = url if records and (size is None or len(records) >= size) else None
        elif style == "cursor":
            cursor = jmespath.search(pagination["next_cursor_path"], response.json())
            params = {**params, pagination["cursor_param"]: cursor}
            url = url if cursor else None
        else:  # next_link in the Link header: follow it as it is
            url, params = response.links.get("next", {}).get("url"), {}
    return pages


def hub_fields(op: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """A record read through the operation's ``fields`` declaration."""
    return {name: jmespath.search(expression, record) for name, expression in op["fields"].items()}


def assert_legal_paths(status_map: dict[str, str], histories: dict[Any, list[str]]) -> None:
    """Every application's local history maps to legal national transitions (same-status moves are local)."""
    graph = national_transitions()
    for reference, codes in histories.items():
        national = [status_map[c] for c in codes]
        assert national[0] == "received", (reference, codes)
        for before, after in itertools.pairwise(national):
            assert after == before or after in graph[before], (reference, codes)


def assert_valid_form(package: dict[str, Any], data: dict[str, Any]) -> None:
    """The form is valid for the package (what the hub will check on a walk-in)."""
    errors = [e.message for e in jsonschema_rs.validator_for(package["form"]).iter_errors(data)]
    assert errors == [], errors
