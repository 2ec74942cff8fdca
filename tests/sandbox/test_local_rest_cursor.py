"""Style (b) on a real loopback server: SIMPEL, SSW Alfa, Klampid and e-Perizinan Jatim packages work
exactly as they declare themselves; idempotency keys are NOT honoured, look-up by national id is."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import jmespath
import pytest
import requests

from tests.sandbox.fixtures_local import LocalRestServer
from tests.sandbox.local_support import (
    CURSOR,
    TIMEOUT,
    assert_legal_paths,
    envelope,
    fill,
    form,
    hub_fields,
    ids,
    submit_body,
    walk,
)

PDF = b"%PDF-1.7 denah lokasi\x00\x01\xfe"


def _session(package: dict[str, Any], server: LocalRestServer) -> requests.Session:
    """A session with the credentials the package's auth block asks for."""
    session, auth = requests.Session(), package["local_system"]["auth"]
    if auth["type"] == "basic":
        session.auth = (server.credentials["username"], server.credentials["password"])
    else:
        session.headers[auth["name"]] = server.credentials["api_key"]
    return session


def _submit(
    server: LocalRestServer,
    session: requests.Session,
    package: dict[str, Any],
    application: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], requests.Response]:
    op = package["local_system"]["operations"]["submit"]
    application = application or envelope(package)
    body = submit_body(package, application, form(package))
    # a connector that wrongly relies on keys: the header is sent and ignored
    response = session.request(
        op["method"],
        server.url + fill(op["path"], application),
        json=body,
        headers={"Idempotency-Key": application["id"]},
        timeout=TIMEOUT,
    )
    return application, response


def _lookup(
    server: LocalRestServer, session: requests.Session, package: dict[str, Any], application: dict[str, Any]
) -> Any:
    op = package["local_system"]["operations"]["lookup"]
    query = {k: fill(v, application) for k, v in op.get("query", {}).items()}
    response = session.request(op["method"], server.url + fill(op["path"], application), params=query, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return jmespath.search(op["reference_path"], response.json())


def test_the_style_serves_every_cursor_style_sample_package() -> None:
    assert len(CURSOR) == 8
    assert {p["local_system"]["operations"]["status_changes"]["pagination"]["style"] for p in CURSOR} == {
        "cursor",
        "next_link",
    }
    assert {p["local_system"]["auth"]["type"] for p in CURSOR} == {"basic", "api_key"}


@pytest.mark.parametrize("package", CURSOR, ids=ids(CURSOR))
def test_submit_lookup_and_multipart_attachment_as_declared(package, local_rest_cursor) -> None:
    server, submit = local_rest_cursor, package["local_system"]["operations"]["submit"]
    with _session(package, server) as session:
        application, response = _submit(server, session, package)
        assert response.status_code == 201, response.text
        reference = jmespath.search(submit["reference_path"], response.json())
        assert isinstance(reference, str) and reference
        assert _lookup(server, session, package, application) == reference
        assert _lookup(server, session, package, envelope(package)) is None  # never delivered
        path = fill(submit["attachments"]["path"], {**application, "local_reference": reference})
        upload = session.post(server.url + path, files={"file": ("denah.pdf", PDF, "application/pdf")}, timeout=TIMEOUT)
        assert upload.status_code == 201, upload.text
    [held] = server.truth()["applications"]
    assert (held["reference"], held["national_id"], held["package_id"]) == (reference, application["id"], package["id"])
    assert held["national_status"] == "received"
    assert [(a["filename"], a["sha256"]) for a in held["attachments"]] == [
        ("denah.pdf", hashlib.sha256(PDF).hexdigest())
    ]


@pytest.mark.parametrize("package", [CURSOR[0], CURSOR[-1]], ids=ids([CURSOR[0], CURSOR[-1]]))
def test_idempotency_key_is_not_honoured_so_a_retry_duplicates_and_lookup_finds_the_first(
    package, local_rest_cursor
) -> None:
    server, submit = local_rest_cursor, package["local_system"]["operations"]["submit"]
    with _session(package, server) as session:
        application, first = _submit(server, session, package)
        _, second = _submit(server, session, package, application)  # same body, same Idempotency-Key
        assert first.status_code == second.status_code == 201
        references = [jmespath.search(submit["reference_path"], r.json()) for r in (first, second)]
        assert references[0] != references[1]
        assert _lookup(server, session, package, application) == references[0]
    submissions = server.truth()["submissions"]
    assert submissions["created_per_national_id"] == {application["id"]: 2}  # what an exactly-once test must catch
    assert submissions["idempotent_replays"] == 0


@pytest.mark.parametrize("package", CURSOR, ids=ids(CURSOR))
def test_status_changes_are_listed_as_declared_with_nothing_lost_across_pages(package, local_rest_cursor) -> None:
    server, op = local_rest_cursor, package["local_system"]["operations"]["status_changes"]
    with _session(package, server) as session:
        submitted = [_submit(server, session, package)[0] for _ in range(4)]
        server.step(6)
        pages = walk(session, server.url, op, page_size=3)
        records = [record for page in pages for record in page]
        read = [hub_fields(op, record) for record in records]
        expected = [c for c in server.truth()["status_changes"] if c["package_id"] == package["id"]]
        assert len(pages) > 3
        assert [int(r["event_id"]) for r in read] == [c["event_id"] for c in expected]
        histories: dict[str, list[str]] = defaultdict(list)
        for record in read:
            assert record["national_id"] in {a["id"] for a in submitted} and record["note"]
            histories[record["reference"]].append(record["status"])
        assert_legal_paths(package["local_system"]["status_map"], histories)
        last = jmespath.search(op["cursor"]["field"], records[-1])
        again = [
            hub_fields(op, r)["event_id"]
            for p in walk(session, server.url, op, extra={op["cursor"]["param"]: last})
            for r in p
        ]
        # updated_since includes the instant; Surabaya's modified_after does not
        assert again == ([] if op["cursor"]["param"] == "modified_after" else [read[-1]["event_id"]])


def _other_kind(package: dict[str, Any], server: LocalRestServer) -> dict[str, Any]:
    """Valid credentials of the kind the package does NOT use."""
    if package["local_system"]["auth"]["type"] == "basic":
        return {"headers": {"X-API-Key": server.credentials["api_key"]}}
    return {"auth": (server.credentials["username"], server.credentials["password"])}


@pytest.mark.parametrize("package", CURSOR, ids=ids(CURSOR))
def test_auth_is_refused_without_or_with_wrong_credentials_and_forbidden_for_the_other_kind(
    package, local_rest_cursor
) -> None:
    server, ops = local_rest_cursor, package["local_system"]["operations"]
    body = submit_body(package, envelope(package), form(package))
    wrong = (
        {"auth": ("sandbox", "salah")}
        if package["local_system"]["auth"]["type"] == "basic"
        else {"headers": {"X-API-Key": "salah"}}
    )
    for name in ("submit", "status_changes", "lookup"):
        op = ops[name]
        query = op.get("query")
        for credentials in ({}, wrong):
            response = requests.request(
                op["method"], server.url + op["path"], params=query, json=body, timeout=TIMEOUT, **credentials
            )
            assert response.status_code == 401, (name, response.text)
            assert response.headers["Content-Type"] == "application/problem+json"
    for name in ("submit", "status_changes"):
        op = ops[name]
        response = requests.request(
            op["method"],
            server.url + op["path"],
            params=op.get("query"),
            json=body,
            timeout=TIMEOUT,
            **_other_kind(package, server),
        )
        assert response.status_code == 403, (name, response.text)
    assert server.truth()["applications"] == []


@pytest.mark.parametrize(
    ("package", "status"),
    [(CURSOR[0], 422), (next(p for p in CURSOR if p["region"] == "35.78"), 400)],
    ids=["jatim", "surabaya"],
)
def test_invalid_requests_use_the_status_the_package_declares(package, status, local_rest_cursor) -> None:
    server, op = local_rest_cursor, package["local_system"]["operations"]["submit"]
    assert {"status": str(status), "action": "record"} in package["local_system"]["errors"]
    with _session(package, server) as session:
        body = submit_body(package, envelope(package), form(package))
        del body["applicant"]["id_number"]
        response = session.post(server.url + op["path"], json=body, timeout=TIMEOUT)
        assert response.status_code == status and response.json()["fields"] == ["applicant.id_number"]
        history = package["local_system"]["operations"]["status_changes"]
        bad_time = session.get(
            server.url + history["path"], params={history["cursor"]["param"]: "besok"}, timeout=TIMEOUT
        )
        assert bad_time.status_code == status
        bad_cursor = session.get(
            server.url + history["path"], params={"cursor": "bukan-token", "page_token": "x"}, timeout=TIMEOUT
        )
        assert bad_cursor.status_code == status
