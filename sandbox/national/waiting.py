"""What waits for the hub: per service, citizens' applications of the feed not yet acknowledged.

The health report of the hub asks for it (``GET /waiting-counts``) so that a region whose sync has stopped
does not show a backlog of 0 while citizens' applications pile up nationally. The sandbox answers with one
GROUP BY over its applications table (no index of its own: the sandbox holds thousands, not millions).
"""

from __future__ import annotations

from typing import Any

from sandbox.national.store import Store, utc_now


def waiting_counts(store: Store, region: str | None = None) -> dict[str, Any]:
    """``WaitingCounts`` of the contract: services with at least one unacknowledged citizen application."""
    sql = (
        "SELECT service_id, region, COUNT(*) AS n, MIN(submitted_at) AS oldest FROM applications"
        " WHERE origin = 'citizen' AND acknowledged_at IS NULL"
    )
    args: list[Any] = []
    if region is not None:
        sql, args = sql + " AND region = ?", [region]
    with store.read() as conn:
        rows = conn.execute(sql + " GROUP BY service_id, region ORDER BY service_id", args).fetchall()
    items = [
        {
            "service_id": r["service_id"],
            "region": r["region"],
            "waiting": int(r["n"]),
            "oldest_submitted_at": r["oldest"],
        }
        for r in rows
    ]
    return {"counted_at": utc_now(), "region": region, "items": items}
