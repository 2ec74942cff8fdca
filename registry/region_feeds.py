"""Region feeds in the package format: what packages that share one feed must declare alike.

A region feed (``operations.status_changes.feed``) is one local status feed for several services of a
region, each row naming its service. The hub reads it once, with the declaration of its first service
(``connectors/sync/feeds.py``), so every member must declare the *read* the same way — base URL, path,
query, pagination, records, fields, cursor, auth, dates, answer envelope, errors — and each its own
``service_code``. ``mpphub validate`` checks it across the files it is given; the engine checks it again
(a member declared otherwise is stopped, its rows held with the reason)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# The local_system fields (beside the status_changes operation itself) that shape how the feed is read.
READ_KEYS = ("kind", "base_url", "auth", "date_format", "time_zone", "envelope", "errors", "rate_limit_per_second")


def declared_feed(package: dict[str, Any]) -> dict[str, Any] | None:
    """The ``status_changes.feed`` a package declares (only the ``rest`` kind's schema has one), or None (an
    ordinary, per-service feed). Read from the section's shape, not its kind's name."""
    local = package.get("local_system")
    if not isinstance(local, dict):
        return None
    operations = local.get("operations")
    operation = operations.get("status_changes") if isinstance(operations, dict) else None
    feed = operation.get("feed") if isinstance(operation, dict) else None
    return feed if isinstance(feed, dict) else None


def read_declaration(package: dict[str, Any]) -> dict[str, Any]:
    """What must be alike in every member of a feed: its read, without the member's own code."""
    local = package["local_system"]
    operation = dict(local["operations"]["status_changes"])
    operation["feed"] = {k: v for k, v in operation["feed"].items() if k != "service_code"}
    return {"operation": operation, **{key: local.get(key) for key in READ_KEYS}}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Where two read declarations differ (``status_changes.path``, ``local_system.base_url``...)."""
    keys = sorted(set(a["operation"]) | set(b["operation"]))
    found = [f"status_changes.{k}" for k in keys if a["operation"].get(k) != b["operation"].get(k)]
    found += [f"local_system.{k}" for k in READ_KEYS if a.get(k) != b.get(k)]
    return found


def feed_signature(package: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(region, feed name, service code, digest of the read declaration) of a member, or None."""
    feed = declared_feed(package)
    if feed is None or not all(isinstance(feed.get(k), str) for k in ("name", "service_code")):
        return None
    try:
        declaration = read_declaration(package)
        digest = hashlib.sha256(json.dumps(declaration, sort_keys=True, default=str).encode()).hexdigest()
    except (KeyError, TypeError, AttributeError):
        return None  # a malformed package: the schema says why
    return str(package.get("region")), feed["name"], feed["service_code"], digest
