"""Outbound deliveries and walk-in registrations in the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from connectors.ledger.base import LedgerBase
from connectors.ledger.leases import LeaseLost, hold
from connectors.ledger.models import Application, AttachmentUpload
from connectors.ledger.types import NewApplication, as_utc

# The statements of every delivery, built once with bound parameters, as the lease fence is (the cost
# of building one per call: ``leases._RENEW``).
_DELIVERY_STATE = select(Application.delivery, Application.attempts).where(Application.national_id == bindparam("p_id"))
_CLAIM = (
    update(Application)
    .where(
        Application.national_id == bindparam("p_id"),
        Application.delivery == bindparam("p_delivery"),
        Application.attempts == bindparam("p_attempts"),
    )
    .values(
        delivery="sending",
        attempts=Application.attempts + 1,
        claim_owner=bindparam("p_owner"),
        claim_generation=bindparam("p_generation"),
    )
)
_DELIVERED = (
    update(Application)
    .where(Application.national_id == bindparam("p_id"), Application.delivery.in_(("pending", "sending")))
    .values(
        delivery="delivered",
        local_reference=bindparam("p_reference"),
        payload=None,
        delivered_at=bindparam("p_now"),
        last_error=None,
    )
)
# under a flow's lease: only the claim's holder records it
_DELIVERED_BY_CLAIM = _DELIVERED.where(
    Application.claim_owner == bindparam("p_owner"), Application.claim_generation == bindparam("p_generation")
)
_ACKNOWLEDGED = (
    update(Application)
    .where(Application.national_id.in_(bindparam("p_ids", expanding=True)), Application.delivery == "delivered")
    .values(delivery="acknowledged", acknowledged_at=bindparam("p_now"), last_error=None)
)


@dataclass(frozen=True)
class Claim:
    """An application taken for a delivery attempt: the state it was in (``sending``: an earlier attempt's
    outcome is unknown, look before writing) and the attempts counted so far, this one included."""

    previous: str
    attempts: int


class OutboundLedger(LedgerBase):
    """National applications on their way to the local system, and walk-ins on their way back."""

    # --- outbound: national applications -> local system -------------------------------------------

    def store_new_applications(
        self,
        region: str,
        service_id: str,
        items: Sequence[NewApplication],
        old_cursor: str | None,
        new_cursor: str | None,
    ) -> int:
        """Store applications read from the national feed and advance its cursor, atomically.

        Returns how many were new (the rest were already known: re-reads are harmless). Nothing read and
        the cursor where it was: nothing is written (an idle poll takes no lease)."""
        if not items and _same_cursor(old_cursor, new_cursor):
            return 0
        now = self.clock.now()
        with self._write() as conn:
            self._advance(conn, region, service_id, "outbound", old_cursor, new_cursor)
            if not items:
                return 0
            ids = [item.national_id for item in items]
            known = set(conn.scalars(select(Application.national_id).where(Application.national_id.in_(ids))))
            rows = [
                {
                    "national_id": item.national_id,
                    "service_id": item.service_id,
                    "region": item.region,
                    "package_version": item.package_version,
                    "origin": "national",
                    "submitted_at": item.submitted_at,
                    "national_status": item.status,
                    "delivery": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "payload": item.payload,
                    "subject_hash": item.subject_hash,
                    "nik_masked": item.nik_masked,
                    "phone_masked": item.phone_masked,
                    "last_sequence": 0,
                    "created_at": now,
                }
                for item in {i.national_id: i for i in items if i.national_id not in known}.values()
            ]
            if rows:
                conn.execute(insert(Application), rows)
            return len(rows)

    def due_deliveries(self, service_id: str, limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
        """Applications of a service still to deliver or acknowledge, in submission order, up to the first
        one that is not due yet: while the head of the queue backs off, the applications behind it wait
        (otherwise they would overtake it, and a system that is down would get a request every cycle).
        A dead letter that holds the queue (its retry budget ran out: ``dead_letter_application(...,
        holds_queue=True)``) stops it the same way until it is replayed: a replay then finds it at its
        place, before the applications submitted after it (issue 13)."""
        now = now or self.clock.now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Application)
                .where(
                    Application.service_id == service_id,
                    or_(
                        Application.delivery.in_(("pending", "sending", "delivered")),
                        and_(Application.delivery == "dead", Application.holds_queue.is_(True)),
                    ),
                )
                .order_by(Application.submitted_at, Application.national_id)
                .limit(limit)
            )
            due = []
            for row in rows:
                if row.delivery == "dead" or (as_utc(row.next_attempt_at) or now) > now:
                    break
                due.append(dict(row._mapping))
            return due

    def delivery_state(self, national_id: str) -> tuple[str, int]:
        """(delivery state, attempts) of one application."""
        with self.engine.connect() as conn:
            row = conn.execute(_DELIVERY_STATE, {"p_id": national_id}).one()
            return str(row.delivery), int(row.attempts)

    def mark_sending(self, national_id: str) -> Claim | None:
        """Claim an application for a delivery attempt and record, BEFORE the write leaves, that it starts:
        after a crash the outcome is known to be unknown, and the next attempt reuses the key or looks the
        application up. A compare-and-set on the row as it is now (not on an earlier read): returns the
        claim with the state found, or None when the application is no longer to deliver (another worker
        delivered it meanwhile). Under a flow's lease the claim records owner and generation."""
        lease = hold()  # taken now if the flow's lease is still pending
        with self._write() as conn:
            row = conn.execute(_DELIVERY_STATE, {"p_id": national_id}).first()
            if row is None or row.delivery not in ("pending", "sending"):
                return None
            claimed = conn.execute(
                _CLAIM,
                {
                    "p_id": national_id,
                    "p_delivery": row.delivery,
                    "p_attempts": row.attempts,
                    "p_owner": lease.owner if lease else None,
                    "p_generation": lease.generation if lease else None,
                },
            )
            if claimed.rowcount != 1:  # changed between the read and the update: not ours to send
                return None
            return Claim(previous=str(row.delivery), attempts=int(row.attempts) + 1)

    def mark_delivered(self, national_id: str, local_reference: str) -> None:
        """The local system has it, under ``local_reference``: forget the payload (data minimisation).
        Under a flow's lease only the claim's holder may record it (LeaseLost otherwise): a worker that lost
        its lease while writing never records, nor acknowledges, its own copy."""
        lease = hold()  # taken now if the flow's lease is still pending
        values = {"p_id": national_id, "p_reference": local_reference, "p_now": self.clock.now()}
        with self._write() as conn:
            if lease is None:
                conn.execute(_DELIVERED, values)
                return
            done = conn.execute(
                _DELIVERED_BY_CLAIM, {**values, "p_owner": lease.owner, "p_generation": lease.generation}
            )
            if done.rowcount != 1:
                raise LeaseLost(f"{national_id}: this worker no longer holds the application's delivery claim")

    def mark_acknowledged(self, national_id: str) -> None:
        """The national layer knows the local reference: delivery is complete."""
        with self._write() as conn:
            conn.execute(
                update(Application)
                .where(Application.national_id == national_id, Application.delivery == "delivered")
                .values(delivery="acknowledged", acknowledged_at=self.clock.now(), last_error=None)
            )

    def mark_acknowledged_many(self, national_ids: Sequence[str]) -> None:
        """``mark_acknowledged`` for several applications, in one transaction."""
        if not national_ids:
            return
        now = self.clock.now()
        with self._write() as conn:
            for start in range(0, len(national_ids), 500):
                conn.execute(_ACKNOWLEDGED, {"p_ids": list(national_ids[start : start + 500]), "p_now": now})

    def schedule_retry(self, national_id: str, error: str, at: datetime, outcome_unknown: bool) -> None:
        """Try again at ``at``. A write that may have arrived stays 'sending' (look up / reuse the key first)."""
        with self._write() as conn:
            values: dict[str, Any] = {"next_attempt_at": at, "last_error": error[:500]}
            current = conn.scalar(select(Application.delivery).where(Application.national_id == national_id))
            if current == "sending" and not outcome_unknown:
                values["delivery"] = "pending"
            conn.execute(update(Application).where(Application.national_id == national_id).values(**values))

    def dead_letter_application(self, national_id: str, reason: str, holds_queue: bool = False) -> None:
        """Stop trying to deliver; keep the payload so that a replay after a fix can deliver it.

        ``holds_queue``: the retry budget ran out while the local system did not take the application (down,
        busy, its reply lost, an unusable answer): the applications behind it wait until it is replayed, so
        they never overtake it and the replay finds it at its place. A refusal of this one record (a
        ``RecordError``) does not hold the queue: the others are not refused with it."""
        with self._write() as conn:
            app = conn.execute(select(Application).where(Application.national_id == national_id)).one()
            conn.execute(
                update(Application)
                .where(Application.national_id == national_id)
                .values(delivery="dead", last_error=reason[:500], holds_queue=holds_queue)
            )
            self._dead_letter(conn, "application", national_id, app.service_id, app.region, "outbound", reason, None)

    # --- attachments uploaded after the create (attachments.mode: multipart) ---------------------------

    def uploaded_files(self, national_id: str) -> dict[int, str]:
        """position -> sha256 of the files of an application recorded as uploaded to the local system."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(AttachmentUpload.position, AttachmentUpload.sha256).where(
                    AttachmentUpload.national_id == national_id
                )
            )
            return {int(row.position): str(row.sha256) for row in rows}

    def record_upload(
        self, national_id: str, position: int, requirement_id: str, sha256: str, local_reference: str
    ) -> None:
        """Record one file as uploaded, right after its upload succeeded (fenced like every write of a flow:
        a worker that lost its lease stops here). A row already there (the same file uploaded again after a
        crash between its upload and its record) is brought up to date, never doubled."""
        with self._write() as conn:
            known = conn.scalar(
                select(func.count())
                .select_from(AttachmentUpload)
                .where(AttachmentUpload.national_id == national_id, AttachmentUpload.position == position)
            )
            if known:
                conn.execute(
                    update(AttachmentUpload)
                    .where(AttachmentUpload.national_id == national_id, AttachmentUpload.position == position)
                    .values(sha256=sha256, requirement_id=requirement_id[:120], local_reference=local_reference)
                )
                return
            conn.execute(
                insert(AttachmentUpload).values(
                    national_id=national_id,
                    position=position,
                    requirement_id=requirement_id[:120],
                    sha256=sha256,
                    local_reference=local_reference[:200],
                    uploaded_at=self.clock.now(),
                )
            )

    # --- walk-ins: counter applications -> national layer ---------------------------------------------

    def store_walk_ins(
        self,
        region: str,
        service_id: str,
        registered: Sequence[tuple[dict[str, Any], str]],
        old_cursor: Any,
        new_cursor: Any,
    ) -> int:
        """Record walk-ins the national layer registered (envelope, local reference) and advance the cursor
        (nothing registered and the cursor where it was: nothing is written)."""
        if not registered and _same_cursor(old_cursor, new_cursor):
            return 0
        now = self.clock.now()
        stored = 0
        with self._write() as conn:
            self._advance(conn, region, service_id, "walk_in", old_cursor, new_cursor)
            for envelope, reference in registered:
                if conn.scalar(
                    select(func.count()).select_from(Application).where(Application.national_id == envelope["id"])
                ):
                    continue
                conn.execute(
                    insert(Application).values(
                        national_id=envelope["id"],
                        service_id=service_id,
                        region=region,
                        package_version=envelope["package_version"],
                        origin="walk_in",
                        submitted_at=datetime.fromisoformat(envelope["submitted_at"].replace("Z", "+00:00")),
                        local_reference=reference,
                        national_status=envelope.get("status", "submitted"),
                        delivery="acknowledged",
                        attempts=0,
                        next_attempt_at=now,
                        last_sequence=0,
                        created_at=now,
                        acknowledged_at=now,
                    )
                )
                stored += 1
        return stored

    def known_references(self, service_id: str, references: Sequence[str]) -> set[str]:
        """Which of these local references the ledger already links to an application."""
        if not references:
            return set()
        with self.engine.connect() as conn:
            found = conn.scalars(
                select(Application.local_reference).where(
                    Application.service_id == service_id, Application.local_reference.in_(list(references))
                )
            )
            return {str(ref) for ref in found}


def _same_cursor(old: Any, new: Any) -> bool:
    """Whether a read left a feed's cursor where it was (cursors are stored as text)."""
    return (None if old is None else str(old)) == (None if new is None else str(new))
