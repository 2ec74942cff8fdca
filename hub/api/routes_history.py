"""A region's history: its lag, backlog, failures and dead letters hour by hour over the last days
(``region_history``, written by the sync at the end of each cycle: ``connectors/ledger/history.py``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from connectors.ledger.history import hour_of, read_region_history
from hub.api.auth import Caller, State, require_region
from hub.api.errors import ERRORS, NOT_FOUND, ApiError
from hub.api.models import RegionHistory
from hub.health.report import iso
from registry.regions import region_table

router = APIRouter(prefix="/api/v1", responses=ERRORS)
MAX_DAYS = 90


@router.get(
    "/regions/{code}/history",
    response_model=RegionHistory,
    responses=NOT_FOUND,
    summary="a region's lag, backlog, failures and dead letters per hour over the last days",
)
def region_history(
    caller: Caller,
    state: State,
    code: Annotated[str, Path(pattern=r"^[0-9]{2}(\.[0-9]{2})?$")],
    days: Annotated[
        int, Query(ge=1, le=MAX_DAYS, description="how many days back (the ledger keeps 30 by default)")
    ] = 14,
) -> dict[str, Any]:
    """One point per hour a sync cycle sampled the region, oldest first; hours without a cycle have none
    (the sync did not run: a gap, not a zero)."""
    require_region(caller, code)  # a region team never learns about another region: 403 before any 404
    if not any(entry.get("region") == code for entry in state.index()["packages"].values()):
        raise ApiError(
            404, "no published service in this region" if region_table().get(code) else "unknown region code"
        )
    now = state.ledger.clock.now()
    since = hour_of(now) - timedelta(days=days) + timedelta(hours=1)
    points = read_region_history(state.reader, code, since)
    region = region_table().get(code)
    return {
        "code": code,
        "name": region.name if region else code,
        "days": days,
        "retention_days": state.ledger.history_days,
        "since": iso(hour_of(since)),
        "until": iso(hour_of(now) + timedelta(hours=1)),
        "points": [
            {
                "at": iso(point["hour"]),
                "lag_seconds": int(point["lag_seconds"]),
                "backlog": int(point["backlog"]),
                "failures": int(point["failures"]),
                "dead_letters": int(point["dead_letters"]),
                "samples": int(point["samples"]),
            }
            for point in points
        ],
    }
