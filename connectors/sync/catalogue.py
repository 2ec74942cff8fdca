"""Catalogue push: every service's latest published version goes to the national catalogue."""

from __future__ import annotations

from collections import Counter

from connectors.sync.context import SyncContext


def publish(ctx: SyncContext, service_id: str) -> Counter[str]:
    """Publish one service's latest version (idempotent)."""
    outcome = ctx.national.publish(ctx.packages.latest(service_id))
    return Counter({outcome: 1})
