"""Catalogue push: every service's latest published version goes to the national catalogue.

Once the national layer has a version (recorded as ``version@sha256`` in the ledger), the flow does not
send it again every cycle — an idle service's one PUT in three requests — but only when the registry has
a newer version or a day has passed (``RECHECK``: the national catalogue is re-asserted, in case it lost
an entry). ``current`` is what the engine asks before it runs the flow at all.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from connectors.ledger.types import as_utc
from connectors.sync.context import SyncContext

RECHECK = timedelta(hours=24)


def published_value(ctx: SyncContext, service_id: str) -> str:
    """``version@sha256`` of the service's latest published version in the registry index."""
    entry = ctx.packages.index["packages"][service_id]
    version = entry["latest"]
    return f"{version}@{entry['versions'][version]['sha256']}"


def current(ctx: SyncContext, service_id: str) -> bool:
    """Whether the national catalogue has this exact version, as put there less than ``RECHECK`` ago."""
    value, at = ctx.published(service_id)
    when = as_utc(at)
    return value == published_value(ctx, service_id) and when is not None and ctx.clock.now() - when < RECHECK


def publish(ctx: SyncContext, service_id: str) -> Counter[str]:
    """Publish one service's latest version (idempotent) and record that it is there."""
    package = ctx.packages.latest(service_id)
    ctx.ledger.hold_stream()  # the PUT changes the national catalogue: only under the flow's lease
    outcome = ctx.national.publish(package)
    ctx.ledger.note_published(str(package["region"]), service_id, published_value(ctx, service_id))
    return Counter({outcome: 1})
