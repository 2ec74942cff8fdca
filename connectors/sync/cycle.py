"""What a cycle reads once for all its services instead of once per flow (issue 12: idle is nearly free).

An idle service's flows used to ask the ledger five things one by one — its outbound, walk-in and inbound
cursors, what the catalogue last received, whether anything is due for delivery or push — about ten
statements a service, most of an idle service's cost once its leases and run rows were gone. A cycle now
reads them for all its services in a few set-wise queries when it starts (``CycleView.read``), and the
flows take their answers from it:

- a cursor is taken from the view **once** (``cursor``): the first page of a feed starts from it, every
  later read of the same cursor in the cycle goes to the ledger (it has moved). A view older than a write
  of another worker costs nothing but a re-read: every cursor is stored by compare-and-set, and a stale one
  loses (``CursorMoved``) without storing anything;
- "is anything due" is a superset: a service with no undelivered application and no pending event at the
  cycle's start skips its queue, unless a step of this cycle put something in it (``touch``: the pull that
  stored new applications, the read that stored new events) — then the queue is asked as before. An item
  whose backoff ends during the cycle waits for the next one, as it would for its next scheduled attempt.

A service run on its own (``SyncEngine.run_service`` outside a cycle) has no view and asks the ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from connectors.ledger.models import Application, StatusEvent, SyncCursor

_CHUNK = 500  # ids per IN list (SQLite's default limit on bound parameters is 999 in older builds)


class CycleView:
    """The ledger as one cycle found it for its services: cursors and which queues may hold work."""

    def __init__(
        self,
        covered: set[str],
        cursors: dict[tuple[str, str], tuple[str | None, datetime | None]],
        maybe_deliveries: set[str],
        maybe_events: set[str],
    ) -> None:
        self._covered = covered  # the service ids the view was read for: it knows nothing of the others
        self._cursors = cursors
        self._maybe_deliveries = maybe_deliveries
        self._maybe_events = maybe_events
        self._touched: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    @classmethod
    def read(cls, engine: Engine, service_ids: Sequence[str]) -> CycleView:
        """Read the view for ``service_ids`` (a few statements per 500 services)."""
        cursors: dict[tuple[str, str], tuple[str | None, datetime | None]] = {}
        deliveries: set[str] = set()
        events: set[str] = set()
        ids = sorted(set(service_ids))
        with engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                for row in conn.execute(
                    select(SyncCursor.service_id, SyncCursor.flow, SyncCursor.value, SyncCursor.updated_at).where(
                        SyncCursor.service_id.in_(chunk)
                    )
                ):
                    cursors[(row.service_id, row.flow)] = (row.value, row.updated_at)
                deliveries.update(
                    conn.scalars(
                        select(Application.service_id)
                        .where(
                            Application.service_id.in_(chunk),
                            or_(
                                Application.delivery.in_(("pending", "sending", "delivered")),
                                and_(Application.delivery == "dead", Application.holds_queue.is_(True)),
                            ),
                        )
                        .distinct()
                    )
                )
                events.update(
                    conn.scalars(
                        select(StatusEvent.service_id)
                        .where(StatusEvent.service_id.in_(chunk), StatusEvent.state == "pending")
                        .distinct()
                    )
                )
        return cls(set(ids), cursors, deliveries, events)

    def cursor(self, service_id: str, flow: str) -> tuple[bool, Any]:
        """(True, value) the first time a flow asks for its cursor this cycle (None: no cursor yet);
        (False, None) after that — the cursor may have moved, ask the ledger."""
        if service_id not in self._covered:
            return False, None
        with self._lock:
            key = (service_id, flow)
            if key in self._touched:
                return False, None
            self._touched.add(key)
        found = self._cursors.get(key)
        return True, (found[0] if found is not None else None)

    def published(self, service_id: str) -> tuple[bool, tuple[str | None, datetime | None]]:
        """(True, what the catalogue flow last put in the national catalogue — ``version@sha256`` — and
        when), or (False, ...) for a service the view was not read for."""
        if service_id not in self._covered:
            return False, (None, None)
        return True, self._cursors.get((service_id, "catalogue"), (None, None))

    def may_have(self, service_id: str, queue: str) -> bool:
        """Whether a queue (``deliveries`` or ``events``) of the service may hold work: it did when the cycle
        began, or a step of this cycle put something in it."""
        if service_id not in self._covered:
            return True
        with self._lock:
            if (service_id, f"queue:{queue}") in self._touched:
                return True
        return service_id in (self._maybe_deliveries if queue == "deliveries" else self._maybe_events)

    def touch(self, service_id: str, queue: str) -> None:
        """A step of this cycle put work in the service's ``deliveries`` or ``events`` queue."""
        with self._lock:
            self._touched.add((service_id, f"queue:{queue}"))
