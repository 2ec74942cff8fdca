"""Status events pushed by the hub: applied one by one, each with its own result (a batch may partly succeed).

Rules, checked in this order for an event not seen before: the application exists; the status is in the
national vocabulary; its sequence is the previous accepted one + 1 (order guarantee: a gap or a replay
is refused with the expected sequence); the transition is allowed by the national graph; the change is not
dated more than ``FUTURE_TOLERANCE`` after the national layer's clock (a time read in the wrong zone lands
hours ahead, and a history must not claim what has not happened yet). A rejected event
changes nothing and may be sent again later. An accepted ``event_id`` sent again is a duplicate (counted,
nothing changes); the same ``event_id`` with other content is refused as ``event_id_conflict``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.national.store import Store, bump, utc_now
from sandbox.national.transitions import is_status, transition_problem

# Clocks drift and an event takes a while to arrive: a few minutes ahead is accepted, hours are not.
FUTURE_TOLERANCE = timedelta(minutes=5)


def _future_dated(changed_at: str) -> str | None:
    """Why ``changed_at`` is too far in the future, or None."""
    when = datetime.fromisoformat(changed_at.replace("Z", "+00:00"))
    if when.tzinfo is None:
        return None  # the schema requires an offset; nothing to judge here
    ahead = when - datetime.now(UTC)
    if ahead <= FUTURE_TOLERANCE:
        return None
    return (
        f"changed_at is {ahead.total_seconds() / 3600:.1f} h ahead of the national clock"
        f" (at most {FUTURE_TOLERANCE.total_seconds() / 60:g} min): was a local time read in the wrong zone?"
    )


def fingerprint(event: dict[str, Any]) -> str:
    """What makes two deliveries of one event_id the same event."""
    content = [event["application_id"], event["sequence"], event["status"], event["changed_at"], event.get("note")]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _reject(conn: sqlite3.Connection, event: dict[str, Any], reason: str, detail: str, **extra: Any) -> dict[str, Any]:
    conn.execute(
        "INSERT INTO event_rejections (event_id, application_id, sequence, status, reason, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (event["event_id"], event["application_id"], event["sequence"], event["status"], reason, utc_now()),
    )
    bump(conn, "events_rejected")
    return {"event_id": event["event_id"], "result": "rejected", "reason": reason, "detail": detail, **extra}


def _apply(conn: sqlite3.Connection, event: dict[str, Any]) -> dict[str, Any]:
    seen = conn.execute("SELECT * FROM status_events WHERE event_id = ?", (event["event_id"],)).fetchone()
    if seen is not None:
        if seen["fingerprint"] != fingerprint(event):
            return _reject(
                conn,
                event,
                "event_id_conflict",
                "this event_id was already accepted with other content (application, sequence, status, changed_at or note)",
            )
        conn.execute(
            "UPDATE status_events SET received_count = received_count + 1 WHERE event_id = ?", (event["event_id"],)
        )
        bump(conn, "events_duplicate")
        current = conn.execute("SELECT status FROM applications WHERE id = ?", (seen["application_id"],)).fetchone()
        return {"event_id": event["event_id"], "result": "duplicate", "application_status": current["status"]}
    app = conn.execute(
        "SELECT status, last_sequence FROM applications WHERE id = ?", (event["application_id"],)
    ).fetchone()
    if app is None:
        return _reject(conn, event, "unknown_application", f"no application {event['application_id']}")
    status, expected = app["status"], app["last_sequence"] + 1
    if not is_status(event["status"]):
        return _reject(
            conn,
            event,
            "unknown_status",
            "not a national status",
            application_status=status,
            expected_sequence=expected,
        )
    if event["sequence"] != expected:
        what = "a gap: an earlier event is missing" if event["sequence"] > expected else "already used"
        return _reject(
            conn,
            event,
            "out_of_sequence",
            f"sequence {event['sequence']} is {what}; the next sequence of this application is {expected}",
            application_status=status,
            expected_sequence=expected,
        )
    ahead = _future_dated(event["changed_at"])
    if ahead is not None:
        return _reject(conn, event, "future_dated", ahead, application_status=status, expected_sequence=expected)
    problem = transition_problem(status, event["status"])
    if problem is not None:
        return _reject(
            conn, event, "illegal_transition", problem, application_status=status, expected_sequence=expected
        )
    now = utc_now()
    conn.execute(
        "INSERT INTO status_events (event_id, application_id, sequence, status, changed_at, note, fingerprint, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event["event_id"],
            event["application_id"],
            event["sequence"],
            event["status"],
            event["changed_at"],
            event.get("note"),
            fingerprint(event),
            now,
        ),
    )
    conn.execute(
        "UPDATE applications SET status = ?, last_sequence = ?, updated_at = ? WHERE id = ?",
        (event["status"], event["sequence"], now, event["application_id"]),
    )
    bump(conn, "events_accepted")
    return {"event_id": event["event_id"], "result": "accepted", "application_status": event["status"]}


def push(store: Store, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply a batch in order, in one transaction; one result per event and the totals."""
    with store.write() as conn:
        results = [_apply(conn, event) for event in events]
    totals = {kind: sum(1 for r in results if r["result"] == kind) for kind in ("accepted", "duplicate", "rejected")}
    return {
        "results": results,
        "accepted": totals["accepted"],
        "duplicates": totals["duplicate"],
        "rejected": totals["rejected"],
    }
