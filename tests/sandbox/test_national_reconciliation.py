"""Reconciliation: per-(service, day) counts and checksums, computed here independently from the truth."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from tests.sandbox.fixtures_national import NationalServer, status_event
from tests.sandbox.test_national_idempotency import walk_in


def _expected(truth: dict[str, Any], region: str) -> dict[tuple[str, str], tuple[int, str]]:
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for app in truth["applications"]:
        if app["region"] == region:
            groups[(app["service_id"], app["day"])].append((app["id"], app["status"]))
    out = {}
    for key, members in groups.items():
        text = "".join(f"{i}:{s}\n" for i, s in sorted(members))
        out[key] = (len(members), hashlib.sha256(text.encode()).hexdigest())
    return out


def _rows(server: NationalServer, region: str, **params: str) -> dict[tuple[str, str], tuple[int, str]]:
    response = server.get(
        "/reconciliation", params={"region": region, "from": "2026-11-01", "to": "2026-11-30", **params}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["day_basis"] == "UTC" and body["region"] == region
    return {(r["service_id"], r["day"]): (r["count"], r["checksum"]) for r in body["rows"]}


def test_counts_and_checksums_per_service_and_day(national_server: NationalServer) -> None:
    times = iter(["2026-11-27T08:00:00+07:00", "2026-11-27T23:30:00-02:00", "2026-11-28T06:59:00+07:00"] * 10)
    national_server.citizens(12, seed=9, regions=["35.76"], clock=lambda: next(times))
    national_server.post(
        "/walk-ins", json=walk_in("AL-1", submitted_at="2026-11-28T10:00:00Z"), headers={"Idempotency-Key": "k"}
    )
    truth = national_server.truth()
    for app in truth["applications"]:  # the UTC day of submitted_at
        app["day"] = datetime.fromisoformat(app["submitted_at"]).astimezone(UTC).date().isoformat()
    assert {a["day"] for a in truth["applications"]} == {"2026-11-27", "2026-11-28"}
    rows = _rows(national_server, "35.76")
    assert rows == _expected(truth, "35.76")
    assert sum(count for count, _ in rows.values()) == 13
    assert _rows(national_server, "35.78") == {}
    # a status change changes exactly one checksum
    victim = truth["applications"][0]
    national_server.post("/status-events", json={"events": [status_event(victim["id"], 1, "received")]})
    changed = _rows(national_server, "35.76")
    (key,) = [k for k in rows if rows[k] != changed[k]]
    assert key == (victim["service_id"], victim["day"]) and changed[key][0] == rows[key][0]


def test_service_filter_and_range(national_server: NationalServer) -> None:
    national_server.citizens(6, seed=2, regions=["35.76"], clock=lambda: "2026-11-15T01:00:00Z")
    rows = _rows(national_server, "35.76")
    service, _ = next(iter(rows))
    only = _rows(national_server, "35.76", service_id=service)
    assert only == {k: v for k, v in rows.items() if k[0] == service}
    assert _rows(national_server, "35.76", to="2026-11-14") == {}
    by_status = national_server.get(
        "/reconciliation", params={"region": "35.76", "from": "2026-11-15", "to": "2026-11-15"}
    ).json()["rows"]
    assert all(r["by_status"] == {"submitted": r["count"]} for r in by_status)
