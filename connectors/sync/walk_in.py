"""Walk-in registration: applications created at the local counter are registered nationally, so a
citizen sees every application in one place. Registration is idempotent by (service, local reference)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from connectors.errors import RecordError
from connectors.records import later_cursor
from connectors.sync.context import SyncContext


def register(ctx: SyncContext, service_id: str, region: str) -> Counter[str]:
    """Register the counter applications that appeared since the walk-in cursor."""
    counts: Counter[str] = Counter()
    package = ctx.packages.latest(service_id)
    connector = ctx.connector(package)
    cursor = ctx.cursor(service_id, "walk_in")
    newest: Any = cursor
    registered: list[tuple[dict[str, Any], str]] = []
    for page in connector.walk_ins(cursor):
        known = ctx.ledger.known_references(service_id, [r.reference for r in page])
        for record in page:
            newest = later_cursor(newest, record.cursor)
            if record.reference in known:  # a re-read at the cursor's edge: already registered
                continue
            problems = ctx.packages.form_problems(service_id, package["version"], record.form)
            if problems:
                ctx.ledger.quarantine(
                    region,
                    service_id,
                    "walk_in",
                    f"walkin-{service_id}-{record.reference}",
                    f"walk-in form does not fit: {'; '.join(problems[:5])}",
                    {"local_reference": record.reference},
                )
                counts["quarantined"] += 1
                continue
            ctx.ledger.hold_stream()  # a registration changes the national layer: only under the lease
            ctx.ledger.heartbeat()  # registrations are stored at the end: keep the lease meanwhile
            registration = {
                "service_id": service_id,
                "package_version": package["version"],
                "submitted_at": ctx.clock.now().isoformat().replace("+00:00", "Z"),
                "local_reference": record.reference,
                "form": record.form,
            }
            try:
                envelope = ctx.national.register_walk_in(
                    registration, idempotency_key=f"{service_id}#{record.reference}"
                )
            except RecordError as exc:
                ctx.ledger.quarantine(
                    region,
                    service_id,
                    "walk_in",
                    f"walkin-{service_id}-{record.reference}",
                    str(exc),
                    {"local_reference": record.reference},
                )
                counts["quarantined"] += 1
                continue
            registered.append((envelope, record.reference))
        if len(registered) >= ctx.max_records_per_run:
            break
    counts["registered"] += ctx.ledger.store_walk_ins(region, service_id, registered, cursor, newest)
    return counts
