"""Access control: every role against every endpoint of the hub API, with the expected status; region
teams see only their own region's rows; errors are JSON bodies that echo nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.tokens import revoke_token
from tests.conftest import GOOD_PACKAGE
from tests.hub.conftest import OTHER_REGION, REGION, Api

ROLES = (None, "region", "other_region", "coordinator", "operator")
SERVICE = f"{REGION}/akta-kelahiran"

# (method, route as in the OpenAPI document, concrete path, statuses for ROLES in order)
MATRIX: list[tuple[str, str, str, tuple[int, ...]]] = [
    ("GET", "/api/v1/me", "/api/v1/me", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/overview", "/api/v1/overview", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/provinces", "/api/v1/provinces", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/regions", "/api/v1/regions", (401, 200, 200, 200, 200)),
    ("GET", "/api/v1/regions/{code}", f"/api/v1/regions/{REGION}", (401, 200, 403, 200, 200)),
    (
        "GET",
        "/api/v1/regions/{code}/history",
        f"/api/v1/regions/{REGION}/history",
        (401, 200, 403, 200, 200),
    ),
    ("GET", "/api/v1/services/{service_id}", f"/api/v1/services/{SERVICE}", (401, 200, 403, 200, 200)),
    ("GET", "/api/v1/catalogue", f"/api/v1/catalogue?region={REGION}", (401, 200, 403, 200, 200)),
    ("GET", "/api/v1/templates", "/api/v1/templates", (401, 200, 200, 200, 200)),
    (
        "GET",
        "/api/v1/packages/{service_id}/versions",
        f"/api/v1/packages/{SERVICE}/versions",
        (401, 200, 403, 200, 200),
    ),
    ("POST", "/api/v1/packages", "/api/v1/packages", (401, 201, 403, 403, 403)),
    ("GET", "/api/v1/dead-letters", f"/api/v1/dead-letters?region={OTHER_REGION}", (401, 403, 200, 200, 200)),
    ("POST", "/api/v1/dead-letters/{letter_id}/replay", "/api/v1/dead-letters/{id}/replay", (401, 403, 403, 403, 200)),
    (
        "GET",
        "/api/v1/dead-letters/page",
        f"/api/v1/dead-letters/page?region={OTHER_REGION}",
        (401, 403, 200, 200, 200),
    ),
    ("POST", "/api/v1/dead-letters/replay", "/api/v1/dead-letters/replay", (401, 403, 403, 403, 200)),
    ("GET", "/api/v1/audit", "/api/v1/audit", (401, 403, 403, 200, 200)),
    ("GET", "/api/v1/audit/verify", "/api/v1/audit/verify", (401, 403, 403, 200, 200)),
    ("GET", "/api/v1/settings", "/api/v1/settings", (401, 403, 403, 403, 200)),
    ("GET", "/metrics", "/metrics", (401, 403, 403, 200, 200)),
]


def _seed(api: Api) -> int:
    api.ledger.quarantine(REGION, SERVICE, "inbound", "ref-1", "unknown status code 'X9'", {"local_status": "X9"})
    api.ledger.quarantine(OTHER_REGION, f"{OTHER_REGION}/izin-x", "inbound", "ref-2", "unknown status code", None)
    api.ledger.append_audit("test", "seed", "nothing", {})
    return int(next(d["id"] for d in api.ledger.dead_letters(region=REGION)))


def _new_version() -> bytes:
    doc = json.loads(GOOD_PACKAGE.read_text(encoding="utf-8"))
    doc["version"] = "1.0.1"
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def test_every_role_against_every_endpoint(api: Api) -> None:
    letter = _seed(api)
    documented = {
        (method.upper(), path)
        for path, item in api.client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method in item
    }
    assert documented == {(m, route) for m, route, _, _ in MATRIX}, "every documented endpoint is in the matrix"
    failures = []
    for method, _route, path, expected in MATRIX:
        for role, status in zip(ROLES, expected, strict=True):
            concrete = path.replace("{id}", str(letter))
            if method == "GET":
                response = api.client.get(concrete, headers=api.headers(role))
            else:
                body = _new_version() if concrete == "/api/v1/packages" else None
                headers = api.headers(role)
                if concrete == "/api/v1/dead-letters/replay":  # the one the region team can read
                    body, headers = (
                        json.dumps({"ids": [letter]}).encode(),
                        {**headers, "Content-Type": "application/json"},
                    )
                response = api.client.post(concrete, headers=headers, content=body)
            if response.status_code != status:
                failures.append((method, concrete, role, status, response.status_code, response.text[:120]))
            elif status >= 400:
                assert set(response.json()) == {"error"}, response.text
    assert failures == []


def test_a_region_team_sees_only_its_own_region(api: Api) -> None:
    _seed(api)
    regions = api.get("/api/v1/regions", "region").json()
    assert [r["code"] for r in regions] == [REGION]
    assert {r["code"] for r in api.get("/api/v1/regions").json()} >= {REGION, OTHER_REGION}
    assert [p["code"] for p in api.get("/api/v1/provinces", "region").json()] == ["35"]
    assert api.get("/api/v1/provinces", "region").json()[0]["regions"] == 1
    assert {d["region"] for d in api.get("/api/v1/dead-letters", "region").json()} == {REGION}
    assert {d["region"] for d in api.get("/api/v1/dead-letters").json()} == {REGION, OTHER_REGION}
    catalogue = api.get("/api/v1/catalogue", "region").json()
    assert catalogue and {c["region"] for c in catalogue} == {REGION}
    overview = api.get("/api/v1/overview", "region").json()
    assert overview["totals"]["regions"] == 1
    assert overview["totals"]["services"] == len(catalogue)
    # another region's service: 403 whether or not it exists (no probing)
    assert api.get(f"/api/v1/services/{OTHER_REGION}/no-such-service", "region").status_code == 403
    assert api.get(f"/api/v1/services/{REGION}/no-such-service", "region").status_code == 404


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer "}, 401),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ({"Authorization": "Bearer mpph_not-a-real-token"}, 401),
        ({"Authorization": "Bearer " + "x" * 5000}, 401),
    ],
)
def test_bad_credentials_are_401_with_a_json_error(api: Api, header: dict[str, str], status: int) -> None:
    response = api.client.get("/api/v1/me", headers=header)
    assert response.status_code == status
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) == {"error"}


def test_a_revoked_token_stops_working_at_once(api: Api) -> None:
    assert api.get("/api/v1/me", "operator").status_code == 200
    revoke_token(api.ledger.engine, "ops")
    assert api.get("/api/v1/me", "operator").status_code == 401


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/api/v1/regions?state=asleep", 422, "query.state"),
        ("/api/v1/regions?province=3576012345678901", 422, "query.province"),
        ("/api/v1/regions/99.99", 404, "unknown region code"),
        ("/api/v1/regions/31", 404, "no published service"),
        ("/api/v1/regions/not-a-code", 422, "path.code"),
        ("/api/v1/catalogue?limit=0", 422, "query.limit"),
        ("/api/v1/audit?limit=abc", 422, "query.limit"),
        ("/api/v1/services/35.76/does-not-exist", 404, "no published service"),
        ("/api/v1/packages/35.76/nothing/versions", 404, "no published package"),
        ("/api/v1/nowhere", 404, "not found"),
    ],
)
def test_bad_input_gets_a_clear_error_that_echoes_nothing(api: Api, path: str, status: int, fragment: str) -> None:
    response = api.get(path, "operator")
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert fragment in body["error"]
    assert "3576012345678901" not in response.text and "asleep" not in response.text


def test_settings_never_show_a_secret(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPPHUB_LEDGER_URL", "postgresql+psycopg://hub:s3cret-pw@db.example/ledger")
    monkeypatch.setenv("MPPHUB_NATIONAL_TOKEN", "national-token-value")
    response = api.get("/api/v1/settings", "operator")
    assert response.status_code == 200
    assert "s3cret-pw" not in response.text and "national-token-value" not in response.text
    assert response.json()["ledger_url"] == "postgresql+psycopg://hub:***@db.example/ledger"
