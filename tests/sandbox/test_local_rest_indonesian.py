"""Style (a) on a real loopback server: every Indonesian-style package works exactly as it declares itself."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import jmespath
import pytest
import requests

from sandbox.local.mapping import build_object
from tests.sandbox.fixtures_local import LocalRestServer
from tests.sandbox.local_support import (
    INDONESIAN,
    TIMEOUT,
    assert_legal_paths,
    assert_valid_form,
    envelope,
    fill,
    form,
    hub_fields,
    ids,
    submit_body,
    walk,
)

WALK_INS = [p for p in INDONESIAN if "walk_ins" in p["local_system"]["operations"]]
PDF = b"%PDF-1.4 kartu keluarga\x00\xff"


@pytest.fixture
def session(local_rest_indonesian: LocalRestServer) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {local_rest_indonesian.credentials['token']}"
        yield s


def _submit(
    server: LocalRestServer, session: requests.Session, package: dict[str, Any], **kw: Any
) -> tuple[dict[str, Any], requests.Response]:
    op = package["local_system"]["operations"]["submit"]
    application = envelope(package)
    body = submit_body(package, application, form(package), kw.get("content"))
    headers = {package["local_system"]["idempotency"]["header"]: application["id"]}
    response = session.request(
        op["method"], server.url + fill(op["path"], application), json=body, headers=headers, timeout=TIMEOUT
    )
    return application | {"body": body}, response


def test_the_style_serves_every_indonesian_sample_package() -> None:
    assert len(INDONESIAN) == 7
    assert {p["local_system"]["auth"]["type"] for p in INDONESIAN} == {"bearer"}


@pytest.mark.parametrize("package", INDONESIAN, ids=ids(INDONESIAN))
def test_submit_as_declared_is_accepted_with_the_reference_where_declared(
    package, local_rest_indonesian, session
) -> None:
    application, response = _submit(local_rest_indonesian, session, package, content=PDF)
    assert response.status_code == 201, response.text
    reference = jmespath.search(package["local_system"]["operations"]["submit"]["reference_path"], response.json())
    assert isinstance(reference, str) and reference
    truth = local_rest_indonesian.truth()
    [held] = truth["applications"]
    assert (held["reference"], held["national_id"], held["package_id"]) == (reference, application["id"], package["id"])
    assert held["body"] == {k: v for k, v in application["body"].items() if k != "lampiran"}  # nested as mapped
    assert held["status"] in package["local_system"]["status_map"] and held["national_status"] == "received"
    assert held["attachments"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert truth["submissions"]["created_per_national_id"] == {application["id"]: 1}


@pytest.mark.parametrize("package", INDONESIAN, ids=ids(INDONESIAN))
def test_status_changes_are_listed_as_declared_with_nothing_lost_across_pages(
    package, local_rest_indonesian, session
) -> None:
    server, op = local_rest_indonesian, package["local_system"]["operations"]["status_changes"]
    submitted = [_submit(server, session, package)[0] for _ in range(4)]
    other = next(p for p in INDONESIAN if p is not package)
    _submit(server, session, other)  # another service's changes must not leak into this listing
    server.step(6)
    pages = walk(session, server.url, op, page_size=3)
    assert len(pages) > 3
    records = [record for page in pages for record in page]
    read = [hub_fields(op, record) for record in records]
    expected = [c for c in server.truth()["status_changes"] if c["package_id"] == package["id"]]
    assert [r["event_id"] for r in read] == [c["event_id"] for c in expected]  # none lost, none twice, in order
    national_ids = {a["id"] for a in submitted}
    histories: dict[str, list[str]] = defaultdict(list)
    for record in read:
        assert record["national_id"] in national_ids and record["note"]
        histories[record["reference"]].append(record["status"])
    assert len(histories) == 4
    assert_legal_paths(package["local_system"]["status_map"], histories)
    # incremental: the cursor param takes the last cursor field value; "sejak" includes that instant
    last = jmespath.search(op["cursor"]["field"], records[-1])
    again = walk(session, server.url, op, extra={op["cursor"]["param"]: last})
    assert [hub_fields(op, r)["event_id"] for p in again for r in p] == [read[-1]["event_id"]]


@pytest.mark.parametrize("package", WALK_INS, ids=ids(WALK_INS))
def test_walk_ins_are_listed_as_declared_and_map_to_a_valid_national_form(
    package, local_rest_indonesian, session
) -> None:
    server, op = local_rest_indonesian, package["local_system"]["operations"]["walk_ins"]
    _submit(server, session, package)  # delivered by the hub: not a walk-in
    created = server.walk_ins(5, package["id"])["references"]
    pages = walk(session, server.url, op, page_size=2)
    records = [record for page in pages for record in page]
    assert len(pages) == 3 and [hub_fields(op, r)["reference"] for r in records] == created
    for record in records:
        fields = hub_fields(op, record)
        assert fields["status"] in package["local_system"]["status_map"] and fields["changed_at"]
        assert_valid_form(package, build_object(op["form"], record))
    assert sorted(server.truth()["walk_ins"]) == sorted(created)
    last = jmespath.search(op["cursor"]["field"], records[-1])
    again = walk(session, server.url, op, extra={op["cursor"]["param"]: last})
    assert [hub_fields(op, r)["reference"] for p in again for r in p] == [created[-1]]


def test_idempotency_key_is_honoured(local_rest_indonesian, session) -> None:
    package = INDONESIAN[0]
    op = package["local_system"]["operations"]["submit"]
    application = envelope(package)
    body = submit_body(package, application, form(package))
    url = local_rest_indonesian.url + op["path"]
    first = session.post(url, json=body, headers={"Idempotency-Key": "kunci-1"}, timeout=TIMEOUT)
    again = session.post(url, json=body, headers={"Idempotency-Key": "kunci-1"}, timeout=TIMEOUT)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other_body = session.post(
        url, json={**body, "no_kk": "3576010101900009"}, headers={"Idempotency-Key": "kunci-1"}, timeout=TIMEOUT
    )
    assert other_body.status_code == 422 and "already used" in other_body.json()["detail"]
    submissions = local_rest_indonesian.truth()["submissions"]
    assert submissions["created_per_national_id"] == {application["id"]: 1}
    assert submissions["received_per_national_id"] == {application["id"]: 3}
    assert submissions["idempotent_replays"] == 1
    # without a key the system cannot tell a retry from a new application: a duplicate, visible in truth
    session.post(url, json=body, timeout=TIMEOUT)
    assert local_rest_indonesian.truth()["submissions"]["created_per_national_id"] == {application["id"]: 2}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer salah"}, {"Authorization": "Basic c2FuZGJveDp4"}])
@pytest.mark.parametrize("operation", ["submit", "status_changes", "walk_ins"])
def test_requests_without_valid_bearer_token_are_refused(operation, headers, local_rest_indonesian) -> None:
    package = WALK_INS[0]
    op = package["local_system"]["operations"][operation]
    response = requests.request(
        op["method"], local_rest_indonesian.url + op["path"], json={}, headers=headers, timeout=TIMEOUT
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["Content-Type"] == "application/problem+json"
    assert local_rest_indonesian.truth()["applications"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.pop("jenis_layanan"), "unknown or missing jenis_layanan"),
        (lambda b: b["pelapor"].pop("nik"), "required fields missing: pelapor.nik"),
        (
            lambda b: b.update(lampiran=[{"nama_berkas": "x.pdf", "isi_base64": "%%%"}]),
            "lampiran[0].isi_base64 is not valid base64",
        ),
        (
            lambda b: b.update(lampiran=[{"isi_base64": "QUJD", "sha256": "0" * 64}]),
            "lampiran[0]: sha256 does not match",
        ),
    ],
)
def test_invalid_submissions_are_422_naming_fields_never_values(
    change, message, local_rest_indonesian, session
) -> None:
    package = INDONESIAN[0]  # akta-kelahiran
    body = submit_body(package, envelope(package), form(package))
    change(body)
    response = session.post(local_rest_indonesian.url + "/permohonan", json=body, timeout=TIMEOUT)
    assert response.status_code == 422 and message in response.json()["detail"]
    for value in (body.get("pelapor", {}).get("telepon"), body.get("pelapor", {}).get("nik"), body.get("no_kk")):
        assert value is None or value not in response.text


@pytest.mark.parametrize(
    "params", [{"sejak": "kemarin"}, {"halaman": "0"}, {"per_halaman": "5000"}, {"jenis_layanan": "TIDAK_ADA"}]
)
def test_bad_list_parameters_are_422(params, local_rest_indonesian, session) -> None:
    response = session.get(local_rest_indonesian.url + "/permohonan/perubahan-status", params=params, timeout=TIMEOUT)
    assert response.status_code == 422
