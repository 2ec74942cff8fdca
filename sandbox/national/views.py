"""Read side of applications: envelopes, one application with its history, the region feed, attachments."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from sandbox.national.errors import NotFound
from sandbox.national.store import Store

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _attachment(row: sqlite3.Row, base_url: str) -> dict[str, Any]:
    item = {
        "requirement_id": row["requirement_id"],
        "filename": row["filename"],
        "media_type": row["media_type"],
        "size": row["size"],
        "sha256": row["sha256"],
    }
    if row["has_content"]:
        item["url"] = f"{base_url}/attachments/{row['id']}"
    elif row["url"]:
        item["url"] = row["url"]
    return item


def envelope(row: sqlite3.Row, attachments: list[sqlite3.Row], base_url: str) -> dict[str, Any]:
    """The application envelope (``schemas/application-envelope.schema.json``) of one stored application."""
    return {
        "id": row["id"],
        "service_id": row["service_id"],
        "package_version": row["package_version"],
        "region": row["region"],
        "submitted_at": row["submitted_at"],
        "channel": row["channel"],
        "local_reference": row["local_reference"],
        "status": row["status"],
        "attachments": [_attachment(a, base_url) for a in attachments],
    }


def _attachments_of(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[sqlite3.Row]]:
    grouped: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for start in range(0, len(ids), 500):  # stay under SQLite's variable limit
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        # typeof(), not "content IS NOT NULL": SQLite answers typeof() from the record header, while IS NOT NULL
        # reads the whole blob (tens of KB per file, from overflow pages) just to test it: 5x slower listings
        sql = f"SELECT id, application_id, requirement_id, filename, media_type, size, sha256, url, typeof(content) != 'null' AS has_content FROM attachments WHERE application_id IN ({marks}) ORDER BY application_id, position"  # noqa: S608 - placeholders only
        for row in conn.execute(sql, chunk):
            grouped[row["application_id"]].append(row)
    return grouped


def record(row: sqlite3.Row, attachments: list[sqlite3.Row], base_url: str) -> dict[str, Any]:
    """``{application, form}`` of one stored application."""
    return {"application": envelope(row, attachments, base_url), "form": json.loads(row["form"])}


def detail(store: Store, application_id: str, base_url: str) -> dict[str, Any]:
    """Envelope, form data, status history (sequence 0 = state at submission) and acknowledgement."""
    with store.read() as conn:
        row = conn.execute("SELECT * FROM applications WHERE id = ?", (application_id,)).fetchone()
        if row is None:
            raise NotFound(f"no application {application_id}")
        attachments = _attachments_of(conn, [application_id])[application_id]
        events = conn.execute(
            "SELECT * FROM status_events WHERE application_id = ? ORDER BY sequence", (application_id,)
        ).fetchall()
    history = [
        {
            "sequence": 0,
            "status": row["initial_status"],
            "changed_at": row["submitted_at"],
            "event_id": None,
            "note": None,
            "received_at": row["received_at"],
        }
    ]
    history += [
        {k: e[k] for k in ("sequence", "status", "changed_at", "event_id", "note", "received_at")} for e in events
    ]
    ack = None
    if row["acknowledged_at"] is not None:
        ack = {
            "application_id": row["id"],
            "local_reference": row["local_reference"],
            "acknowledged_at": row["acknowledged_at"],
        }
    return {**record(row, attachments, base_url), "history": history, "acknowledgement": ack}


def _raw_record(row: sqlite3.Row, attachments: list[sqlite3.Row], base_url: str) -> str:
    """``record`` as JSON text, with the stored form text spliced in as it is: the form was stored as
    JSON, so decoding it only to encode it again would be the listing's largest cost."""
    envelope_json = _COMPACT.encode(envelope(row, attachments, base_url))
    return f'{{"application":{envelope_json},"form":{row["form"]}}}'


def feed_page(
    store: Store, region: str, after: int, limit: int, base_url: str, service_id: str | None = None
) -> tuple[list[str], int, bool]:
    """Citizens' applications of ``region`` after feed position ``after``: (records as JSON texts, last
    position, has_more). Each text is one ``ApplicationRecord`` of the contract, ready to send."""
    sql = "SELECT * FROM applications WHERE region = ? AND origin = 'citizen' AND seq > ?"
    args: list[Any] = [region, after]
    if service_id is not None:
        sql, args = sql + " AND service_id = ?", [*args, service_id]
    with store.read() as conn:
        rows = conn.execute(sql + " ORDER BY seq LIMIT ?", [*args, limit + 1]).fetchall()
        page = rows[:limit]
        attachments = _attachments_of(conn, [r["id"] for r in page])
    items = [_raw_record(r, attachments[r["id"]], base_url) for r in page]
    last = page[-1]["seq"] if page else after
    return items, last, len(rows) > limit


def attachment_content(store: Store, attachment_id: str) -> tuple[bytes, str, str]:
    """(content, media type, sha256) of an attachment held by the national layer."""
    row = (
        store.connection()
        .execute("SELECT content, media_type, sha256 FROM attachments WHERE id = ?", (attachment_id,))
        .fetchone()
    )
    if row is None or row["content"] is None:
        raise NotFound(f"no attachment {attachment_id} on the national layer")
    return bytes(row["content"]), row["media_type"], row["sha256"]
