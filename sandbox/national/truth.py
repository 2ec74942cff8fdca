"""``GET /_sandbox/truth``: everything the national layer holds, for tests to compare with the hub.

Ids, references, statuses and counts only — never form data, so never a NIK or a phone number.
"""

from __future__ import annotations

from typing import Any

from sandbox.national.store import Store


def truth(store: Store, region: str | None = None) -> dict[str, Any]:
    """Applications (with acknowledgements), status events (with how often each was received),
    rejections, walk-ins (with their idempotency keys), the catalogue and the counters."""
    args = (region, region)
    with store.read() as conn:
        apps = conn.execute("SELECT * FROM applications WHERE (? IS NULL OR region = ?) ORDER BY seq", args).fetchall()
        events = conn.execute(
            "SELECT * FROM status_events WHERE (? IS NULL OR application_id IN (SELECT id FROM applications WHERE region = ?)) ORDER BY application_id, sequence",
            args,
        ).fetchall()
        rejections = conn.execute(
            "SELECT * FROM event_rejections WHERE (? IS NULL OR application_id IN (SELECT id FROM applications WHERE region = ?)) ORDER BY id",
            args,
        ).fetchall()
        keys = conn.execute(
            "SELECT * FROM idempotency_keys WHERE (? IS NULL OR application_id IN (SELECT id FROM applications WHERE region = ?)) ORDER BY created_at, key",
            args,
        ).fetchall()
        catalogue = conn.execute(
            "SELECT package_id, version, sha256, publish_count FROM catalogue ORDER BY seq"
        ).fetchall()
        counters = conn.execute("SELECT name, value FROM counters ORDER BY name").fetchall()
    keys_by_app: dict[str, list[str]] = {}
    for k in keys:
        keys_by_app.setdefault(k["application_id"], []).append(k["key"])
    return {
        "applications": [
            {
                "id": a["id"],
                "origin": a["origin"],
                "service_id": a["service_id"],
                "package_version": a["package_version"],
                "region": a["region"],
                "channel": a["channel"],
                "submitted_at": a["submitted_at"],
                "status": a["status"],
                "last_sequence": a["last_sequence"],
                "local_reference": a["local_reference"],
                "acknowledgement": None
                if a["acknowledged_at"] is None
                else {
                    "local_reference": a["local_reference"],
                    "acknowledged_at": a["acknowledged_at"],
                    "received_count": a["ack_count"],
                },
                "acknowledgement_conflicts": a["ack_conflicts"],
                "registrations": a["registration_count"],
            }
            for a in apps
        ],
        "events": [
            {
                k: e[k]
                for k in (
                    "event_id",
                    "application_id",
                    "sequence",
                    "status",
                    "changed_at",
                    "received_at",
                    "received_count",
                )
            }
            for e in events
        ],
        "rejections": [
            {k: r[k] for k in ("event_id", "application_id", "sequence", "status", "reason", "received_at")}
            for r in rejections
        ],
        "walk_ins": [
            {
                "application_id": a["id"],
                "service_id": a["service_id"],
                "local_reference": a["local_reference"],
                "received_count": a["registration_count"],
                "idempotency_keys": keys_by_app.get(a["id"], []),
            }
            for a in apps
            if a["origin"] == "walk_in"
        ],
        "catalogue": [
            {
                "id": c["package_id"],
                "version": c["version"],
                "sha256": c["sha256"],
                "received_count": c["publish_count"],
            }
            for c in catalogue
        ],
        "counters": {c["name"]: c["value"] for c in counters},
    }
