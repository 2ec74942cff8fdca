"""Authentication and request validation on a real server: table-driven bad input, each with the
expected status, JSON path and message, always as problem+json and never echoing submitted values."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests

from tests.sandbox.fixtures_national import NationalServer, status_event

APP = "MPP-3f0c1a52-9a43-4f5e-8d7e-2b6a1c9e0d11"
GOOD_EVENT = status_event(APP, 1, "received")
SECRET_NIK = "3576014511601543"  # noqa: S105 - not a secret: a NIK that appears in bad input below; must never come back or reach a log

EVERY_OPERATION = [
    ("GET", "/catalogue"),
    ("GET", "/catalogue/35.76/akta-kelahiran"),
    ("GET", "/catalogue/35.76/akta-kelahiran/versions/1.0.0"),
    ("PUT", "/catalogue/35.76/akta-kelahiran/versions/1.0.0"),
    ("GET", "/regions/35.76/applications"),
    ("GET", f"/applications/{APP}"),
    ("PUT", f"/applications/{APP}/acknowledgement"),
    ("POST", "/walk-ins"),
    ("POST", "/status-events"),
    ("GET", f"/attachments/{APP}-1"),
    ("GET", "/reconciliation?region=35.76&from=2026-11-01&to=2026-11-30"),
]


def _is_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    return body


@pytest.mark.parametrize(("method", "path"), EVERY_OPERATION)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dGVzdDp0ZXN0", "Bearer"])
def test_every_operation_needs_the_bearer_token(
    national_module_server: NationalServer, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.request(method, national_module_server.url + path, headers=headers, json={}, timeout=10)
    _is_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


# fmt: off
BAD_PARAMETERS = [
    ("/catalogue?limit=0", "$.limit", "must be >= 1"),
    ("/catalogue?limit=1001", "$.limit", "must be <= 1000"),
    ("/catalogue?limit=ten", "$.limit", "must be of type integer"),
    ("/catalogue?region=jatim", "$.region", "region must be a Kemendagri code like 35"),
    ("/catalogue?cursor=abc.def", "$.cursor", "is not a cursor this server issued"),
    ("/catalogue/35.7/akta-kelahiran", "$.region", "region must be a Kemendagri code"),
    ("/catalogue/35.76/Akta_Kelahiran", "$.slug", "must match the pattern"),
    ("/catalogue/35.76/akta-kelahiran/versions/1.0", "$.version", "must be a semantic version"),
    ("/regions/35.76/applications?service_id=akta", "$.service_id", "id must be '<region>/<slug>'"),
    ("/regions/35.76/applications?cursor=" + "A" * 513, "$.cursor", "at most 512 characters"),
    ("/regions/35.76/applications?limit=5000", "$.limit", "must be <= 1000"),
    (f"/applications/{'x' * 81}", "$.application_id", "must be at most 80 characters long"),
    ("/applications/bad%20id", "$.application_id", "must match the pattern"),
    ("/reconciliation?region=35.76&from=2026-11-01", "$.to", "is required"),
    ("/reconciliation?region=35.76&from=2026-13-01&to=2026-11-30", "$.from", "must be a valid date"),
    ("/reconciliation?region=35.76&from=2026-11-30&to=2026-11-01", "$.to", "must not be before from"),
    ("/reconciliation?region=35.76&from=2024-01-01&to=2026-11-30", "$.to", "less than 366 days"),
]
# fmt: on


@pytest.mark.parametrize(("path", "where", "message"), BAD_PARAMETERS)
def test_bad_parameters_are_400_with_the_parameter_path(
    national_module_server: NationalServer, path: str, where: str, message: str
) -> None:
    body = _is_problem(national_module_server.get(path), 400)
    assert any(e["path"] == where and message in e["message"] for e in body["errors"]), body


def _walk_in(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_id": "35.76/akta-kelahiran",
        "package_version": "1.0.0",
        "submitted_at": "2026-11-27T09:15:00+07:00",
        "local_reference": "AL-1",
        "form": {},
    }
    body.update(changes)
    return body


# fmt: off
BAD_BODIES = [
    ("POST", "/status-events", {}, 422, "$.events", "is required"),
    ("POST", "/status-events", {"events": []}, 422, "$.events", "must have at least 1 items"),
    ("POST", "/status-events", {"events": [GOOD_EVENT] * 501}, 422, "$.events", "must have at most 500 items"),
    ("POST", "/status-events", {"events": [{**GOOD_EVENT, "sequence": 0}]}, 422, "$.events[0].sequence", "must be >= 1"),
    ("POST", "/status-events", {"events": [{**GOOD_EVENT, "sequence": "1"}]}, 422, "$.events[0].sequence", "type integer"),
    ("POST", "/status-events", {"events": [{**GOOD_EVENT, "changed_at": "yesterday"}]}, 422, "$.events[0].changed_at", "valid date-time"),
    ("POST", "/status-events", {"events": [{**GOOD_EVENT, "extra": 1}]}, 422, "$.events[0].extra", "not an allowed field"),
    ("POST", "/status-events", {"events": [{k: v for k, v in GOOD_EVENT.items() if k != "event_id"}]}, 422, "$.events[0].event_id", "is required"),
    ("POST", "/status-events", {"events": [{**GOOD_EVENT, "note": "x" * 1001}]}, 422, "$.events[0].note", "at most 1000 characters"),
    ("POST", "/status-events", "[1, 2", 400, "$", "is not valid JSON"),
    ("POST", "/status-events", '{"events": NaN}', 400, "$", "is not valid JSON"),
    ("POST", "/status-events", "", 400, "$", "is empty"),
    ("POST", "/status-events", b"\xff\xfe{}", 400, "$", "not valid UTF-8"),
    ("PUT", f"/applications/{APP}/acknowledgement", {"local_reference": ""}, 422, "$.local_reference", "at least 1 characters"),
    ("PUT", f"/applications/{APP}/acknowledgement", {"local_ref": "A"}, 422, "$.local_reference", "is required"),
    ("PUT", "/catalogue/35.76/x/versions/1.0.0", {"id": "35.76/x"}, 422, "$.service", "is required"),
    ("POST", "/walk-ins", _walk_in(service_id="35.76/nope"), 422, "$.package_version", "not in the national catalogue"),
    ("POST", "/walk-ins", _walk_in(package_version="9.9.9"), 422, "$.package_version", "not in the national catalogue"),
    ("POST", "/walk-ins", _walk_in(status="done"), 422, "$.status", "must be one of: submitted"),
    ("POST", "/walk-ins", _walk_in(submitted_at="2026-11-27"), 422, "$.submitted_at", "valid date-time"),
    ("POST", "/walk-ins", _walk_in(submitted_at="0001-01-01T00:00:00+01:00"), 422, "$.submitted_at", "valid RFC 3339"),
    ("POST", "/walk-ins", _walk_in(local_reference="r" * 201), 422, "$.local_reference", "at most 200"),
    ("POST", "/walk-ins", _walk_in(form={"nik_pelapor": SECRET_NIK[:-1]}), 422, "$.form.nik_pelapor", "must match the pattern ^[0-9]{16}$"),
    ("POST", "/walk-ins", _walk_in(form={"nik_pelapor": SECRET_NIK}), 422, "$.form.nama_pelapor", "is required"),
    ("POST", "/walk-ins", _walk_in(attachments=[{"requirement_id": "kk"}]), 422, "$.attachments[0].sha256", "is required"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "body", "status", "where", "message"), BAD_BODIES)
def test_bad_bodies_are_refused_with_the_json_path(
    national_module_server: NationalServer,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: Any,
    status: int,
    where: str,
    message: str,
) -> None:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k-1"}
    with caplog.at_level(logging.DEBUG):
        response = national_module_server.request(method, path, data=data, headers=headers)
    problem = _is_problem(response, status)
    assert any(e["path"] == where and message in e["message"] for e in problem["errors"]), problem
    assert SECRET_NIK not in response.text and SECRET_NIK[:-1] not in response.text
    assert SECRET_NIK[:-1] not in caplog.text


def test_walk_in_needs_an_idempotency_key(national_module_server: NationalServer) -> None:
    body = _is_problem(national_module_server.post("/walk-ins", json=_walk_in()), 400)
    assert body["errors"] == [{"in": "header", "path": "$.Idempotency-Key", "message": "is required"}]


def test_oversized_body_is_413(national_module_server: NationalServer) -> None:
    response = national_module_server.post("/status-events", data=b"[" + b"0," * (4 * 1024 * 1024) + b"0]")
    _is_problem(response, 413)


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nowhere", 404), ("DELETE", "/status-events", 405)])
def test_unknown_routes_are_problems_too(
    national_module_server: NationalServer, method: str, path: str, status: int
) -> None:
    _is_problem(national_module_server.request(method, path), status)


def test_publish_checks_the_path_and_the_form(national_module_server: NationalServer) -> None:
    package = national_module_server.get("/catalogue/35.76/akta-kelahiran/versions/1.0.0").json()
    publication = {k: package[k] for k in ("id", "version", "region", "service", "form")}
    mismatched = national_module_server.put("/catalogue/35.76/akta-kematian/versions/1.0.0", json=publication)
    assert [e["path"] for e in _is_problem(mismatched, 422)["errors"]] == ["$.id"]
    broken = {**publication, "version": "2.0.0", "form": {"type": "object", "properties": {"NIK": {"type": "strng"}}}}
    errors = _is_problem(
        national_module_server.put("/catalogue/35.76/akta-kelahiran/versions/2.0.0", json=broken), 422
    )["errors"]
    assert {(e["path"], e["message"]) for e in errors} == {
        ("$.form.properties.NIK.type", "does not match any of the allowed shapes"),
        (
            "$.form.properties.NIK",
            "form field names must be lowercase snake_case (letters, digits, underscores), starting with a letter",
        ),
    }
    leaked = {**publication, "version": "2.0.0", "local_system": {"kind": "rest"}}
    errors = _is_problem(
        national_module_server.put("/catalogue/35.76/akta-kelahiran/versions/2.0.0", json=leaked), 422
    )["errors"]
    assert errors == [{"in": "body", "path": "$.local_system", "message": "is not an allowed field here"}]


def test_logs_hold_ids_and_counts_only(
    national_module_server: NationalServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = national_module_server
    with caplog.at_level(logging.DEBUG):
        (submission,) = server.citizens(1, seed=77, services=["35.76/akta-kelahiran"])
        body = _walk_in(local_reference="AL-LOG", form=submission.form)
        registered = server.post("/walk-ins", json=body, headers={"Idempotency-Key": "log-1"})
        assert registered.status_code == 201, registered.text
        app_id = registered.json()["application"]["id"]
        server.post("/status-events", json={"events": [status_event(app_id, 1, "received")]})
        server.put(f"/applications/{app_id}/acknowledgement", json={"local_reference": "AL-LOG"})
        server.get("/regions/35.76/applications")
    assert f"walk-in application={app_id}" in caplog.text
    assert "status events: 1 accepted" in caplog.text
    personal = [v for k, v in submission.form.items() if k.startswith(("nik", "no_hp", "no_kk", "nama"))]
    assert personal and not [v for v in personal if v in caplog.text]
