"""GET /api/v1/regions/{code}/history: a region's hourly lag, backlog, failures and dead letters over the
last days, from region_history; region-scoped like the other region routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.ledger.history import hour_of
from tests.hub.conftest import OTHER_REGION, REGION, Api


def _seed(api: Api) -> None:
    """Samples of the region 20 days, 3 days and 1 hour ago, and of the other region now."""
    now = datetime.now(UTC)
    for ago, failures in ((timedelta(days=20), 7), (timedelta(days=3), 2), (timedelta(hours=1), 1)):
        api.ledger.record_region_history({REGION: failures}, now=now - ago)
    api.ledger.record_region_history({OTHER_REGION: 5}, now=now)


def test_the_last_fourteen_days_by_default_oldest_first(api: Api) -> None:
    _seed(api)
    body = api.get(f"/api/v1/regions/{REGION}/history").json()
    assert (body["code"], body["name"], body["days"], body["retention_days"]) == (REGION, "Kota Mojokerto", 14, 30)
    assert [p["failures"] for p in body["points"]] == [2, 1], "the sample 20 days ago is outside the window"
    now = datetime.now(UTC)
    assert body["points"][-1]["at"] == (hour_of(now) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")
    assert body["until"] == (hour_of(now) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")
    assert set(body["points"][0]) == {"at", "lag_seconds", "backlog", "failures", "dead_letters", "samples"}
    wide = api.get(f"/api/v1/regions/{REGION}/history", params={"days": "30"}).json()
    assert [p["failures"] for p in wide["points"]] == [7, 2, 1]
    assert api.get(f"/api/v1/regions/{REGION}/history", params={"days": "1"}).json()["points"][0]["failures"] == 1


def test_a_region_team_reads_only_its_own_history(api: Api) -> None:
    _seed(api)
    assert api.get(f"/api/v1/regions/{REGION}/history", "region").status_code == 200
    refused = api.get(f"/api/v1/regions/{OTHER_REGION}/history", "region")
    assert refused.status_code == 403 and "5" not in refused.text
    # 403 before any 404: a region team cannot probe which regions publish services
    assert api.get("/api/v1/regions/11.01/history", "region").status_code == 403
    assert api.get(f"/api/v1/regions/{OTHER_REGION}/history", "other_region").json()["points"][0]["failures"] == 5


def test_unknown_regions_and_bad_days_are_refused(api: Api) -> None:
    assert api.get("/api/v1/regions/11.01/history").json() == {"error": "no published service in this region"}
    assert api.get("/api/v1/regions/99.99/history").json() == {"error": "unknown region code"}
    for days in ("0", "91", "x"):
        assert api.get(f"/api/v1/regions/{REGION}/history", params={"days": days}).status_code == 422
    assert api.get("/api/v1/regions/35.76.01/history").status_code in (404, 422)
    assert api.get(f"/api/v1/regions/{REGION}/history").json()["points"] == []  # nothing sampled yet
