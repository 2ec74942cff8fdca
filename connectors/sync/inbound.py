"""Inbound status: the officers' status changes -> the national layer, exactly once and in order.

1. pull: read the local feed from the stored cursor (minus the package's look-back window), map and
   check every change, then store the sequenced events, the quarantined records and the new cursor in
   one transaction. A region feed (one feed for several services) is read once per cycle and each row
   stored under the service it names (``connectors/sync/feeds.py``). The whole read is sorted by time first, so out-of-order pages cannot break the
   per-application order.
2. push: send pending events in batches, per application in sequence order; the national layer's
   per-event results are recorded (accepted, duplicate, rejected with a reason).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.ahead import read_ahead
from connectors.errors import ConnectorError, RetriableError
from connectors.kinds import kind_of
from connectors.ledger.store import InboundCounts, Quarantined, StatusChange
from connectors.records import BadRecord, ChangeRecord, cursor_with_lookback, is_later, later_cursor
from connectors.sync.context import SyncContext, keep_going
from connectors.sync.feeds import RegionFeed
from registry.schemas import national_transitions

BATCH = 500
# Rejections that a later attempt can cure (an earlier event still on its way, a walk-in not yet registered).
TRANSIENT_REJECTIONS = {"out_of_sequence", "unknown_application"}


def event_id(service_id: str, local_event_id: str | None, reference: str, status: str, changed_at: str) -> str:
    """A deterministic, nationally unique event id: the same local change always gets the same id."""
    basis = f"{service_id}|{local_event_id}" if local_event_id else f"{service_id}|{reference}|{status}|{changed_at}"
    return "ev-" + hashlib.sha256(basis.encode()).hexdigest()[:40]


def _tie_breaker(local_event_id: str | None, cursor: Any, index: int) -> tuple[float, int]:
    for candidate in (local_event_id, cursor):
        try:
            return (float(str(candidate)), index)
        except (TypeError, ValueError):
            continue
    return (float(index), index)


@dataclass
class _Read:
    """One read of a local feed, mapped: the changes per service (in the local system's order), what
    could not be read or routed, the newest cursor value, and the counts."""

    changes: dict[str, list[StatusChange]] = field(default_factory=dict)
    held: list[Quarantined] = field(default_factory=list)
    newest: Any = None
    counts: Counter[str] = field(default_factory=Counter)


# Routes one read record to the service it belongs to: (service id, None), or (None, why it is held).
Route = Callable[[ChangeRecord], tuple[str | None, str | None]]


def _read(ctx: SyncContext, package: dict[str, Any], cursor: Any, route: Route, owner: str) -> _Read:
    """Read a local feed from ``cursor`` (minus the package's look-back window), map every record and route
    it to its service; a record that cannot be read or routed is held under ``owner``."""
    connector = ctx.connector(package)
    read = _Read(newest=cursor)
    orders: dict[str, list[tuple[float, int]]] = {}
    fresh = 0  # records after the stored cursor; the look-back's re-reads do not count towards the bound
    since = cursor_with_lookback(cursor, kind_of(package).lookback_seconds(package["local_system"]))
    # the next page is fetched while this one is mapped (the connector's session is used by that thread only)
    for page in read_ahead(connector.status_changes(since)):
        ctx.ledger.heartbeat()  # a long read writes nothing until the end: keep the lease meanwhile
        for record in page:
            # every record moves the cursor, held ones too: a row the hub cannot use never stalls the read
            read.newest = later_cursor(read.newest, record.cursor)
            read.counts["read"] += 1
            fresh += is_later(record.cursor, cursor)
            if isinstance(record, BadRecord):
                read.held.append(Quarantined(f"bad-{owner}-{record.ref}"[:200], record.reason, {"ref": record.ref}))
                continue
            target, why = route(record)
            if target is None:
                ref = f"unrouted-{owner}-{record.event_id or record.reference}"[:200]
                read.held.append(Quarantined(ref, why or "row of no service", {"ref": record.reference}))
                continue
            order = orders.setdefault(target, [])
            order.append(_tie_breaker(record.event_id, record.cursor, len(order)))
            read.changes.setdefault(target, []).append(
                StatusChange(
                    event_id=event_id(
                        target, record.event_id, record.reference, record.status, record.changed_at.isoformat()
                    ),
                    local_reference=record.reference,
                    local_status=record.status,
                    changed_at=record.changed_at,
                    note=record.note,
                    national_id=record.national_id,
                )
            )
        if fresh >= ctx.max_records_per_run or not keep_going(ctx):
            # bounded memory; the rest comes next run. Counting every record read instead would stall
            # for good once more changes than the bound fall inside the look-back window: each run
            # would re-read the same oldest ones and never reach past the stored cursor
            break
    # same-second changes keep the local system's own order (its event id or cursor), not the page order
    for target, changes in read.changes.items():
        ranked = sorted(zip(orders[target], changes, strict=True), key=lambda pair: (pair[1].changed_at, pair[0]))
        read.changes[target] = [change for _, change in ranked]
    return read


def _counted(read: _Read, stored: InboundCounts) -> Counter[str]:
    counts = Counter(read.counts)
    counts.update(
        {
            "stored": stored.stored,
            "duplicates": stored.duplicates,
            "unchanged": stored.unchanged,
            "quarantined": stored.quarantined,
        }
    )
    return counts


def pull(ctx: SyncContext, service_id: str, region: str) -> Counter[str]:
    """Read, map, check and store the local feed's new status changes (a region feed: once per cycle for
    all its services, ``connectors/sync/feeds.py``)."""
    feed = ctx.feeds.feed_of(ctx, service_id)
    if feed is not None:
        if not ctx.feed_reads.claim(feed.key):
            return Counter()  # another service of the feed read it this cycle: its rows are stored
        try:
            counts = _pull_region_feed(ctx, feed)
        except ConnectorError as exc:
            ctx.feed_reads.done(feed.key, exc)  # the feed's other services fail with it
            raise
        finally:
            ctx.feed_reads.done(feed.key)  # whatever happened, nobody waits for this read any longer
        return counts
    package = ctx.packages.latest(service_id)
    cursor = ctx.cursor(service_id, "inbound")
    read = _read(ctx, package, cursor, lambda record: (service_id, None), service_id)

    def map_status(version: str, local_status: str) -> str | None:
        return ctx.packages.status_for(service_id, version, local_status)

    stored = ctx.ledger.store_status_changes(
        region,
        service_id,
        read.changes.get(service_id, []),
        read.held,
        cursor,
        read.newest,
        national_transitions(),
        map_status,
    )
    if stored.stored:
        ctx.touch(service_id, "events")  # push them in this cycle, whatever the cycle's view said
    return _counted(read, stored)


def _pull_region_feed(ctx: SyncContext, feed: RegionFeed) -> Counter[str]:
    """Read a region feed once, under its own lease, and store each row under the service it names."""

    def route(record: ChangeRecord) -> tuple[str | None, str | None]:
        code = record.service_code
        if code is None:
            return None, f"region feed {feed.name}: the row names no service (no service code)"
        if code in feed.members:
            return feed.members[code], None
        if code in feed.refused_codes:
            return None, f"region feed {feed.name}: service code {code!r}: {feed.refused_codes[code]}"
        return None, f"region feed {feed.name}: no package of the region declares service code {code!r}"

    stream = f"inbound:{feed.key}"
    pending = ctx.ledger.pending(stream, ctx.worker, ctx.lease_seconds, ctx.run_seconds)
    try:
        with ctx.ledger.lazily_fenced(pending):
            cursor = ctx.ledger.cursor(feed.key, "inbound")
            read = _read(ctx, ctx.packages.latest(feed.owner), cursor, route, feed.owner)
            stored = ctx.ledger.store_feed_changes(
                feed.region,
                feed.key,
                feed.owner,
                read.changes,
                read.held,
                cursor,
                read.newest,
                national_transitions(),
                ctx.packages.status_for,
            )
    finally:
        if pending.taken is not None:
            ctx.ledger.release_stream(stream, ctx.worker, pending.taken.generation)
    if stored.stored:
        for service_id in read.changes:
            ctx.touch(service_id, "events")
    return _counted(read, stored)


def push(ctx: SyncContext, service_id: str) -> Counter[str]:
    """Push pending events; per application, stop at the first event that did not go through."""
    counts: Counter[str] = Counter()
    if not ctx.may_have(service_id, "events") or not ctx.ledger.due_events(service_id, 1):
        return counts  # nothing to push (most services, most cycles): no lease
    ctx.ledger.hold_stream()  # before the events are read for pushing: the lease decides who pushes
    # before every batch: the lease is renewed (a push never starts on a lease about to run out, so
    # another worker cannot push the same events meanwhile) and the run's time budget is checked
    while keep_going(ctx):
        due = ctx.ledger.due_events(service_id, BATCH)
        if not due:
            return counts
        by_app: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in due:
            by_app[event["national_id"]].append(event)
        batch = [e for events in by_app.values() for e in sorted(events, key=lambda e: e["sequence"])]
        payload = [
            {
                "event_id": e["event_id"],
                "application_id": e["national_id"],
                "sequence": e["sequence"],
                "status": e["national_status"],
                "changed_at": e["changed_at"].isoformat().replace("+00:00", "Z"),  # aware UTC from the ledger
                **({"note": e["note"]} if e["note"] else {}),
            }
            for e in batch
        ]
        try:
            results = ctx.national.push_events(payload)
        except RetriableError as exc:
            attempt = max(e["attempts"] for e in batch) + 1
            now = ctx.clock.now()
            dead = ctx.ledger.retry_events(
                [e["event_id"] for e in batch],
                str(exc),
                ctx.policy.next_attempt(attempt, exc.retry_after, now=now),
                ctx.policy.max_attempts,
                ctx.policy.give_up_before(now),
            )
            counts["retry"] += len(batch) - len(dead)
            counts["dead"] += len(dead)
            return counts
        outcomes: list[tuple[str, str, str | None]] = []
        again: list[str] = []
        for event, result in zip(batch, results, strict=True):
            if result["result"] == "accepted":
                outcomes.append((event["event_id"], "pushed", None))
                counts["pushed"] += 1
            elif result["result"] == "duplicate":
                outcomes.append((event["event_id"], "duplicate", None))
                counts["duplicate"] += 1
            elif result.get("reason") in TRANSIENT_REJECTIONS:
                again.append(event["event_id"])
            else:
                outcomes.append(
                    (event["event_id"], "rejected", f"{result.get('reason')}: {result.get('detail', '')}"[:500])
                )
                counts["rejected"] += 1
        ctx.ledger.mark_events(outcomes)
        if again:
            attempt = max(e["attempts"] for e in batch if e["event_id"] in again) + 1
            now = ctx.clock.now()
            dead = ctx.ledger.retry_events(
                again,
                "not accepted yet (earlier event missing or application unknown nationally)",
                ctx.policy.next_attempt(attempt, now=now),
                ctx.policy.max_attempts,
                ctx.policy.give_up_before(now),
            )
            counts["retry"] += len(again) - len(dead)
            counts["dead"] += len(dead)
            return counts
    return counts
