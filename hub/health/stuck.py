"""When a service is *stuck*: defined here, once, for ``mpphub status``, ``mpphub sync``, the API and the
dashboard.

A service is stuck when one of its queues is held by the same item:

- **outbound**: the head of its delivery queue (the first application in submission order that is still
  ``pending`` or ``sending``; deliveries are strictly in order, so nothing behind it moves) has been tried
  at least ``STUCK_ATTEMPTS`` times and is not delivered — or the head is a dead letter of the retry
  budget, which keeps its place (``holds_queue``) until ``mpphub replay`` puts it back;
- **inbound push**: the head of its status-event queue (the oldest ``pending`` event, in push order) has
  been tried at least ``STUCK_ATTEMPTS`` times and the national layer has not taken it.

Why attempts and not time: a flow whose run ends "ok" can still move nothing — a delivery that failed is
rescheduled inside the run, so the run itself is a success and health said "live" while the backlog grew
(issue 18). The ledger counts every attempt (``application.attempts``, ``status_event.attempts``) and keeps
the last error, so "the same item failed three times in a row" is a fact, not a guess. Three: one failure
is a blip, two can be a restart; by the third the retry schedule (2 s doubling) has spent a few seconds to
minutes on it and a coordinator should know. A queue whose head is stuck gets no further until the head
moves, is dead-lettered (``connectors/sync/backoff.py``) or is replayed after a fix.

A quiet status feed is *not* stuck: officers may change nothing for days (weekends, Lebaran), and the hub
cannot tell an idle local system from one whose feed it cannot read; a feed that errors makes its runs fail
(state ``failing``), and records it cannot use are dead letters with their reasons.

Every reason and error is scrubbed of NIK- and phone-like numbers (``connectors/masking.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from connectors.ledger.models import Application, StatusEvent
from connectors.ledger.types import as_utc
from connectors.masking import scrub_text

STUCK_ATTEMPTS = 3
# the head of a delivery queue: what ``OutboundLedger.due_deliveries`` walks, in the same order
_QUEUED = ("pending", "sending", "delivered")


@dataclass(frozen=True)
class Stuck:
    """Why one service is stuck: which queue, which item holds it, how often it was tried, the last error."""

    service_id: str
    region: str
    flow: str  # outbound | inbound
    item: str  # the national application id, or the status event id
    attempts: int
    last_error: str | None
    since: datetime | None  # when the hub took the item in
    # the head is a dead letter of the retry budget, kept at its place (``holds_queue``) until replayed
    held_by_dead_letter: bool = False

    @property
    def reason(self) -> str:
        """One sentence a coordinator can act on (masked)."""
        what = "application" if self.flow == "outbound" else "status event"
        queue = "delivery queue" if self.flow == "outbound" else "status push queue"
        error = scrub_text(self.last_error) if self.last_error else "no message"
        if self.held_by_dead_letter:
            return (
                f"{self.flow}: stuck: dead letter {self.item} holds the {queue} until it is replayed "
                f"(mpphub replay): {error}"
            )
        return f"{self.flow}: stuck: {what} {self.item} holds the {queue} after {self.attempts} attempts: {error}"

    def as_dict(self) -> dict[str, Any]:
        """JSON form (``mpphub sync --format json``, the API)."""
        return {
            "service_id": self.service_id,
            "flow": self.flow,
            "item": self.item,
            "attempts": self.attempts,
            "last_error": scrub_text(self.last_error) if self.last_error else None,
            "since": None if self.since is None else self.since.isoformat(timespec="seconds"),
            "reason": self.reason,
        }


def _scoped(query: Any, model: Any, region: str | None, service_ids: list[str] | None) -> Any:
    if region is not None:
        query = query.where(model.region == region)
    if service_ids is not None:
        query = query.where(model.service_id.in_(service_ids))
    return query


def stuck_services(
    engine: Engine,
    region: str | None = None,
    service_ids: list[str] | None = None,
    attempts: int = STUCK_ATTEMPTS,
) -> dict[str, Stuck]:
    """The stuck services (of a region, or of these services, when given), keyed by service id. When both
    queues of a service are stuck, the outbound one is reported (citizens' applications come first)."""
    found: dict[str, Stuck] = {}
    with engine.connect() as conn:
        # the head of each service's delivery queue, in due_deliveries' order (window function: one scan
        # of the index on (service_id, delivery, ...), whatever the number of services)
        rank = (
            func.row_number()
            .over(partition_by=Application.service_id, order_by=(Application.submitted_at, Application.national_id))
            .label("rank")
        )
        queued = _scoped(
            select(
                Application.service_id,
                Application.region,
                Application.national_id,
                Application.delivery,
                Application.attempts,
                Application.last_error,
                Application.created_at,
                rank,
                Application.holds_queue,
            ).where(
                or_(
                    Application.delivery.in_(_QUEUED),
                    # a dead letter of the retry budget stays the head of its queue until it is replayed
                    and_(Application.delivery == "dead", Application.holds_queue.is_(True)),
                )
            ),
            Application,
            region,
            service_ids,
        ).subquery()
        heads = select(queued).where(
            queued.c.rank == 1,
            or_(
                and_(queued.c.delivery.in_(("pending", "sending")), queued.c.attempts >= attempts),
                queued.c.delivery == "dead",  # held by a dead letter: nothing moves until it is replayed
            ),
        )
        for row in conn.execute(heads):
            found[row.service_id] = Stuck(
                row.service_id,
                row.region,
                "outbound",
                row.national_id,
                int(row.attempts),
                row.last_error,
                as_utc(row.created_at),
                held_by_dead_letter=row.delivery == "dead",
            )

        event_rank = (
            func.row_number()
            .over(
                partition_by=StatusEvent.service_id,
                order_by=(StatusEvent.created_at, StatusEvent.national_id, StatusEvent.sequence),
            )
            .label("rank")
        )
        pending = _scoped(
            select(
                StatusEvent.service_id,
                StatusEvent.region,
                StatusEvent.event_id,
                StatusEvent.attempts,
                StatusEvent.reason,
                StatusEvent.created_at,
                event_rank,
            ).where(StatusEvent.state == "pending"),
            StatusEvent,
            region,
            service_ids,
        ).subquery()
        event_heads = select(pending).where(pending.c.rank == 1, pending.c.attempts >= attempts)
        for row in conn.execute(event_heads):
            if row.service_id in found:
                continue
            found[row.service_id] = Stuck(
                row.service_id,
                row.region,
                "inbound",
                row.event_id,
                int(row.attempts),
                row.reason,
                as_utc(row.created_at),
            )
    return found
