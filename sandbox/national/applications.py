"""Applications on the national layer: citizens' submissions, walk-ins, acknowledgements, reads, the feed."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.national.errors import Conflict, NotFound
from sandbox.national.store import Store, bump, utc_now


@dataclass
class NewAttachment:
    """A file a citizen attached; ``content`` is None when only the metadata is known (walk-ins)."""

    requirement_id: str
    filename: str
    media_type: str
    content: bytes | None = None
    size: int = 0
    sha256: str = ""
    url: str | None = None

    def __post_init__(self) -> None:
        if self.content is not None:
            self.size, self.sha256 = len(self.content), hashlib.sha256(self.content).hexdigest()


@dataclass
class NewApplication:
    """An application as it enters the national layer."""

    service_id: str
    package_version: str
    form: dict[str, Any]
    submitted_at: str = field(default_factory=utc_now)
    channel: str = "online"
    id: str = field(default_factory=lambda: new_application_id())
    status: str = "submitted"
    local_reference: str | None = None
    attachments: list[NewAttachment] = field(default_factory=list)

    @property
    def region(self) -> str:
        """The Pemda offering the service: the service id's prefix."""
        return self.service_id.partition("/")[0]


def new_application_id(rng_bits: int | None = None) -> str:
    """A national application id: ``MPP-`` and a UUID (random, or from ``rng_bits`` for determinism)."""
    value = uuid.uuid4() if rng_bits is None else uuid.UUID(int=rng_bits, version=4)
    return f"MPP-{value}"


def utc_day(timestamp: str) -> str:
    """The UTC calendar date of an RFC 3339 timestamp; ValueError when it is not one."""
    text = timestamp.strip().upper().replace("Z", "+00:00")
    if len(text) >= 19 and text[17:19] == "60":  # a leap second: same day as :59
        text = text[:17] + "59" + text[19:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time zone offset is required")
    try:
        return moment.astimezone(UTC).date().isoformat()
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00
        raise ValueError("the date is out of range") from None


def _insert(conn: sqlite3.Connection, app: NewApplication, origin: str) -> None:
    now = utc_now()
    conn.execute(
        "INSERT INTO applications (id, origin, service_id, package_version, region, channel, submitted_at, day,"
        " initial_status, status, form, received_at, updated_at, local_reference, registration_count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            app.id,
            origin,
            app.service_id,
            app.package_version,
            app.region,
            app.channel,
            app.submitted_at,
            utc_day(app.submitted_at),
            app.status,
            app.status,
            json.dumps(app.form, ensure_ascii=False),
            now,
            now,
            app.local_reference,
            1 if origin == "walk_in" else 0,
        ),
    )
    for position, a in enumerate(app.attachments):
        conn.execute(
            "INSERT INTO attachments (id, application_id, position, requirement_id, filename, media_type, size,"
            " sha256, url, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f"{app.id}-{position + 1}",
                app.id,
                position,
                a.requirement_id,
                a.filename,
                a.media_type,
                a.size,
                a.sha256,
                a.url,
                a.content,
            ),
        )


def submit(store: Store, app: NewApplication) -> bool:
    """A citizen's submission (idempotent by id); True when it was new."""
    with store.write() as conn:
        if conn.execute("SELECT 1 FROM applications WHERE id = ?", (app.id,)).fetchone():
            return False
        _insert(conn, app, "citizen")
        bump(conn, "citizen_applications")
        return True


def register_walk_in(
    store: Store, app: NewApplication, key: str, check_new: Callable[[NewApplication], None]
) -> tuple[str, bool]:
    """Register a walk-in, idempotent by ``key`` and by (service_id, local_reference): (application id, created).

    ``check_new`` validates a registration that is really new (it raises to refuse it); a repeat is answered
    from what is stored, even if the local system has edited the data since.
    """
    natural = (app.service_id, app.local_reference)
    with store.write() as conn:
        bump(conn, "walk_in_requests")
        known = conn.execute("SELECT * FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
        if known is not None and (known["service_id"], known["local_reference"]) != natural:
            raise Conflict(
                "this Idempotency-Key was used for another walk-in (another service_id or local_reference)",
                conflict={"application_id": known["application_id"]},
            )
        if known is not None:
            conn.execute("UPDATE idempotency_keys SET use_count = use_count + 1 WHERE key = ?", (key,))
            application_id: str = known["application_id"]
        else:
            row = conn.execute(
                "SELECT id FROM applications WHERE service_id = ? AND local_reference = ?", natural
            ).fetchone()
            application_id = row["id"] if row is not None else app.id
            conn.execute(
                "INSERT INTO idempotency_keys (key, application_id, service_id, local_reference, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, application_id, *natural, utc_now()),
            )
            if row is None:
                check_new(app)
                _insert(conn, app, "walk_in")
                bump(conn, "walk_ins_registered")
                return application_id, True
        conn.execute(
            "UPDATE applications SET registration_count = registration_count + 1 WHERE id = ?", (application_id,)
        )
        bump(conn, "walk_in_repeats")
        return application_id, False


def acknowledge(store: Store, application_id: str, local_reference: str) -> tuple[dict[str, Any], bool]:
    """Record delivery to the local system (idempotent): (acknowledgement, created); Conflict on another reference.

    A walk-in already carries its local reference: acknowledging it with that reference is accepted.
    """
    conflict: Conflict | None = None
    with store.write() as conn:
        row = conn.execute("SELECT * FROM applications WHERE id = ?", (application_id,)).fetchone()
        if row is None:
            raise NotFound(f"no application {application_id}")
        current = row["local_reference"]
        other = conn.execute(
            "SELECT id FROM applications WHERE service_id = ? AND local_reference = ? AND id != ?",
            (row["service_id"], local_reference, application_id),
        ).fetchone()
        created = False
        if current == local_reference and row["acknowledged_at"] is not None:
            conn.execute("UPDATE applications SET ack_count = ack_count + 1 WHERE id = ?", (application_id,))
            bump(conn, "acknowledgement_repeats")
        elif current in (None, local_reference) and other is None:
            now = utc_now()
            conn.execute(
                "UPDATE applications SET local_reference = ?, acknowledged_at = ?, ack_count = ack_count + 1,"
                " updated_at = ? WHERE id = ?",
                (local_reference, now, now, application_id),
            )
            bump(conn, "acknowledgements")
            created = True
        else:
            conn.execute("UPDATE applications SET ack_conflicts = ack_conflicts + 1 WHERE id = ?", (application_id,))
            bump(conn, "acknowledgement_conflicts")
            if current is not None and current != local_reference:
                conflict = Conflict(
                    "the application is already acknowledged with another local reference",
                    conflict={"application_id": application_id, "local_reference": current},
                )
            else:
                conflict = Conflict(
                    "this local reference already belongs to another application of the service",
                    conflict={"application_id": other["id"], "local_reference": local_reference},
                )
        ack = conn.execute(
            "SELECT id, local_reference, acknowledged_at FROM applications WHERE id = ?", (application_id,)
        ).fetchone()
    if conflict is not None:
        raise conflict  # after the commit, so that the conflict is counted
    return {
        "application_id": ack["id"],
        "local_reference": ack["local_reference"],
        "acknowledged_at": ack["acknowledged_at"],
    }, created
