"""One read of the national feed for all of a region's services (issue 12, item 2).

The national layer lists a region's new applications in one feed (``GET /regions/{region}/applications``);
the contract lets the hub filter it by ``service_id`` or not. Reading it once per service made the national
side of an idle cycle one request per service — 100,000 a cycle for the nation. The hub now reads it **once
per cycle per region**, unfiltered, with **one cursor** and under **one lease**, both kept under the
region's key (``<region>/national:applications``, a service id of its own, like a region feed's), and
stores each application under the service its envelope names. The services of the region then deliver
from their own queues as before: order, idempotency and the lookup before a retry are per service and
unchanged.

- The first service of the region to pull in a cycle reads the feed (``FeedReads``: once per cycle); the
  others of the same process wait for that read and find their applications stored, or fail as it failed.
- Another process (an Airflow task holding another batch of the region's services) may read it at the same
  time: the cursor is stored by compare-and-set and the lease decides who stores, so one of them stores and
  the other stores nothing. Its services then ask their own queues this cycle (``touch``), so what the
  other stored is delivered without waiting a cycle.
- An application whose envelope names another region is not this region's: it is held as a dead letter
  under the region's key (the cursor moves past it, nothing is delivered). One of a service the registry
  does not (yet) hold is stored under that service as every other: it is delivered once its package is
  published, never skipped by a cursor that moved on.

``SyncContext.region_reads`` (``MPPHUB_NATIONAL_READS=service`` turns it off) keeps the old per-service
read for a national layer that does not serve the unfiltered feed. Switching a ledger over starts the
region's cursor from the feed's beginning once: what was stored before is recognised by its national id
and stored again never (the feed keeps acknowledged items, and the ledger keeps every application).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from connectors.errors import ConnectorError, StreamHeld
from connectors.ledger.store import CursorMoved, NewApplication
from connectors.sync.context import keep_going
from connectors.sync.packages import new_application

if TYPE_CHECKING:
    from connectors.sync.context import SyncContext


def region_key(region: str) -> str:
    """Where a region's national-feed cursor and lease live in the ledger (a service id of its own)."""
    return f"{region}/national:applications"


def pull_region(ctx: SyncContext, service_id: str, region: str) -> Counter[str]:
    """The outbound pull of one service when the region's feed is read once per cycle: the first service
    of the region in this cycle reads it for all; the others find their applications stored."""
    key = region_key(region)
    if not ctx.feed_reads.claim(key):
        return Counter()  # another service of the region read it this cycle: its applications are stored
    try:
        counts = _read_region(ctx, region, key)
    except ConnectorError as exc:
        ctx.feed_reads.done(key, exc)  # the region's other services fail with it (a down national layer)
        raise
    finally:
        ctx.feed_reads.done(key)  # whatever happened, nobody waits for this read any longer
    return counts


def _read_region(ctx: SyncContext, region: str, key: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    stream = f"outbound:{key}"
    pending = ctx.ledger.pending(stream, ctx.worker, ctx.lease_seconds, ctx.run_seconds)
    stored_for: set[str] = set()
    packages: dict[str, dict[str, Any] | None] = {}
    try:
        with ctx.ledger.lazily_fenced(pending):
            while keep_going(ctx):
                cursor = ctx.cursor(key, "outbound")
                page = ctx.national.new_applications(region, None, cursor, ctx.page_size)
                items, foreign = _applications(ctx, region, page.items, packages)
                for national_id, why in foreign:
                    ctx.ledger.quarantine(region, key, "outbound", f"foreign-{national_id}"[:200], why, {})
                counts["foreign"] += len(foreign)
                stored = ctx.ledger.store_new_applications(region, key, items, cursor, page.next_cursor)
                counts["pulled"] += stored
                if stored:
                    stored_for.update(item.service_id for item in items)
                if not page.has_more or not page.items:
                    break
    except (StreamHeld, CursorMoved):
        # another worker reads the region's feed at the same time and stores it: nothing of this read is
        # stored; the region's services ask their own queues this cycle, where its applications arrive
        counts["read_elsewhere"] += 1
        stored_for.update(ctx.packages.service_ids(region))
    finally:
        if pending.taken is not None:
            ctx.ledger.release_stream(stream, ctx.worker, pending.taken.generation)
    for service_id in stored_for:
        ctx.touch(service_id, "deliveries")  # deliver them in this cycle, whatever the cycle's view said
    return counts


def _applications(
    ctx: SyncContext, region: str, records: list[dict[str, Any]], packages: dict[str, dict[str, Any] | None]
) -> tuple[list[NewApplication], list[tuple[str, str]]]:
    """The page's applications of this region, ready to store, and those naming another region
    (national id, why)."""
    items: list[NewApplication] = []
    foreign: list[tuple[str, str]] = []
    for record in records:
        envelope = record["application"]
        service_id = str(envelope["service_id"])
        if envelope.get("region") != region or not service_id.startswith(f"{region}/"):
            foreign.append(
                (str(envelope["id"]), f"the national feed of {region} listed an application of another region")
            )
            continue
        if service_id not in packages:
            try:
                packages[service_id] = ctx.packages.latest(service_id)
            except KeyError:
                packages[service_id] = None  # not in the registry (yet): stored, delivered once it is published
        items.append(new_application(record, service_id, region, packages[service_id], ctx.hash_key))
    return items, foreign
