"""A national picture shaped exactly like the hub API contract (``/api/v1``), for the UI-unit tests.

All 552 regions of the shipped Kemendagri table (so the tables are exercised at full size), 180 services in
one region; one region stalled with a distinctive reason. The applications carry only the masked fields
the API delivers; a test that routes a response with raw personal data checks the page never shows it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from registry.regions import region_table

TOKEN = "ui-unit-token"  # noqa: S105 - a made-up token for routed responses
STALLED = "35.76"
STALLED_REASON = "no successful sync run for 72 h 0 min"
STALLED_ERROR = "connection refused (dispendukcapil.mojokertokota.go.id)"
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
STATES = ("live", "onboarding", "failing", "stalled")


def _state(index: int, code: str) -> str:
    if code == STALLED:
        return "stalled"
    return "failing" if index % 97 == 5 else "onboarding" if index % 3 == 0 else "live"


def regions() -> list[dict[str, Any]]:
    """Every region of the table as the contract's region rows."""
    table = region_table()
    rows = []
    for index, region in enumerate(table.all()):
        province = table.get(region.province_code)
        state = _state(index, region.code)
        rows.append(
            {
                "code": region.code,
                "name": region.name,
                "province_code": region.province_code,
                "province_name": province.name if province else region.province_code,
                "state": state,
                "services": 180 if region.code == STALLED else index % 50,
                "last_success": None if state == "onboarding" else (NOW - timedelta(minutes=index)).isoformat(),
                "lag_seconds": 3 * 86400 if state == "stalled" else index * 7,
                "backlog": index % 13,
                "failures": 4 if state == "failing" else 0,
                "dead_letters": 2 if state in ("failing", "stalled") else 0,
                "sla_breaches": index % 5,
                "reason": {
                    "stalled": STALLED_REASON,
                    "failing": "1 failing service(s); latest: inbound: retrying: HTTP 503",
                    "onboarding": "published; none synced yet",
                }.get(state, "synced recently"),
                "last_error": STALLED_ERROR if state == "stalled" else ("HTTP 503" if state == "failing" else None),
            }
        )
    return rows


def overview() -> dict[str, Any]:
    """The national totals and a 24-hour hourly series."""
    rows = regions()
    totals = {s: sum(1 for r in rows if r["state"] == s) for s in STATES}
    totals.update(
        regions=len(rows),
        services=100_000,
        applications=123_456,
        delivered=120_001,
        backlog=sum(r["backlog"] for r in rows),
        dead_letters=sum(r["dead_letters"] for r in rows),
        sla_breaches=sum(r["sla_breaches"] for r in rows),
    )
    series = [
        {
            "at": (NOW - timedelta(hours=23 - h)).isoformat(),
            "delivered": 100 + 40 * (h % 7),
            "events": 300 + 25 * (h % 5),
            "lag_seconds": 30 + 10 * (h % 4),
        }
        for h in range(24)
    ]
    return {"generated_at": NOW.isoformat(), "totals": totals, "series": series}


def provinces() -> list[dict[str, Any]]:
    """The province rollup computed from the regions."""
    out: dict[str, dict[str, Any]] = {}
    for r in regions():
        p = out.setdefault(
            r["province_code"],
            {"code": r["province_code"], "name": r["province_name"], "regions": 0, **dict.fromkeys(STATES, 0)}
            | {"backlog": 0, "dead_letters": 0, "sla_breaches": 0},
        )
        p["regions"] += 1
        p[r["state"]] += 1
        for key in ("backlog", "dead_letters", "sla_breaches"):
            p[key] += r[key]
    return sorted(out.values(), key=lambda p: p["code"])


def services(region: dict[str, Any]) -> list[dict[str, Any]]:
    """The services of a region; in the stalled one, every service carries the reason."""
    count = region["services"]
    rows = []
    for i in range(count):
        slug = "akta-kelahiran" if i == 0 else f"layanan-{i:03d}"
        state = region["state"] if i < 3 or region["state"] == "stalled" else "live"
        rows.append(
            {
                "service_id": f"{region['code']}/{slug}",
                "name": "Penerbitan Akta Kelahiran" if i == 0 else f"Layanan Nomor {i:03d}",
                "category": "kependudukan" if i % 2 == 0 else "perizinan",
                "version": f"1.{i % 4}.0",
                "state": state,
                "last_success": region["last_success"],
                "lag_seconds": region["lag_seconds"],
                "backlog": i % 4,
                "failures": 1 if state != "live" else 0,
                "dead_letters": 1 if i == 0 else 0,
                "sla_breaches": i % 3,
                "reason": region["reason"] if state != "live" else "synced recently",
                "last_error": region["last_error"] if state in ("stalled", "failing") else None,
            }
        )
    return rows


def service(service_id: str, raw_personal_data: bool = False) -> dict[str, Any] | None:
    """One service with recent applications and dead letters (``raw_personal_data``: a leaky API)."""
    region_code = service_id.split("/", 1)[0]
    region = next((r for r in regions() if r["code"] == region_code), None)
    if region is None:
        return None
    match = next((s for s in services(region) if s["service_id"] == service_id), None)
    if match is None:
        return None
    applications = []
    for i in range(120):
        app = {
            "national_id": f"APP-{i:05d}-7f3a",
            "submitted_at": (NOW - timedelta(hours=i)).isoformat(),
            "status": ["received", "verifying", "processing", "approved"][i % 4],
            "delivery": "delivered" if i % 5 else "pending",
            "package_version": "1.0.0",
            "nik_masked": "3576" + "*" * 10 + f"{i % 100:02d}",
            "phone_masked": "0812" + "*" * 6 + f"{i % 100:02d}",
        }
        if raw_personal_data:  # fields a correct API never sends; the page must not render them
            app |= {"nik": f"357601{i:010d}", "phone": f"08123456{i:04d}", "nama": "Siti Aminah"}
        applications.append(app)
    dead = [
        {
            "id": 17,
            "kind": "application",
            "flow": "outbound",
            "ref": "APP-00017-7f3a",
            "reason": "HTTP 422: field nik_pelapor 3576012345678901 ditolak oleh sistem lokal",
            "created_at": NOW.isoformat(),
            "attempts": 8,
        },
        {
            "id": 18,
            "kind": "inbound",
            "reason": "unmapped local status 'ARSIP'",
            "created_at": NOW.isoformat(),
            "attempts": 1,
        },
    ]
    return {
        **match,
        "region": region_code,
        "region_name": region["name"],
        "dead_letter_count": len(dead),
        "application_count": len(applications),
        "applications": applications,
        "dead_letters": dead,
    }


def answer(url: str, authorization: str | None, raw_personal_data: bool = False) -> tuple[int, Any]:
    """The contract's answer (status, JSON body) to a GET of ``url``."""
    if authorization != f"Bearer {TOKEN}":
        return 401, {"error": "missing or unknown bearer token"}
    parts = urlsplit(url)
    path = unquote(parts.path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if path == "/api/v1/me":
        return 200, {"name": "Koordinator Uji", "role": "coordinator", "region": None}
    if path == "/api/v1/overview":
        return 200, overview()
    if path == "/api/v1/provinces":
        return 200, provinces()
    if path == "/api/v1/regions":
        rows = regions()
        if query.get("province"):
            rows = [r for r in rows if r["province_code"] == query["province"]]
        if query.get("state"):
            rows = [r for r in rows if r["state"] == query["state"]]
        if query.get("q"):
            rows = [r for r in rows if query["q"].lower() in (r["name"] + r["code"]).lower()]
        return 200, rows
    if m := re.fullmatch(r"/api/v1/regions/([0-9.]+)", path):
        region = next((r for r in regions() if r["code"] == m.group(1)), None)
        if region is None:
            return 404, {"error": f"unknown region {m.group(1)!r}"}
        listed = services(region)
        return 200, {**region, "service_count": len(listed), "services": listed}
    if m := re.fullmatch(r"/api/v1/services/(.+)", path):
        found = service(m.group(1), raw_personal_data)
        return (200, found) if found else (404, {"error": f"unknown service {m.group(1)!r}"})
    return 404, {"error": f"no such endpoint: {path}"}


def route_api(page: Any, raw_personal_data: bool = False) -> list[str]:
    """Fulfil every ``/api/v1`` request of ``page`` from this world; returns the list of requested URLs."""
    seen: list[str] = []

    def handle(route: Any) -> None:
        request = route.request
        seen.append(request.url)
        status, body = answer(request.url, request.headers.get("authorization"), raw_personal_data)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/**", handle)
    return seen
