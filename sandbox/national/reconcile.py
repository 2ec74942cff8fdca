"""Reconciliation: per-(service, day) counts and checksums of a region's applications.

``day`` is the UTC date of ``submitted_at``; ``checksum`` is the sha256 of one line
``<application id>:<current status>\\n`` per application, sorted by id — so the hub computes the same
figures from its ledger and compares (DESIGN.md flow 6).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from sandbox.national.store import Store


def checksum(pairs: Iterable[tuple[str, str]]) -> str:
    """sha256 over ``id:status\\n`` lines sorted by id."""
    digest = hashlib.sha256()
    for application_id, status in sorted(pairs):
        digest.update(f"{application_id}:{status}\n".encode())
    return digest.hexdigest()


def reconciliation(store: Store, region: str, first: str, last: str, service_id: str | None = None) -> dict[str, Any]:
    """Rows for days ``first``..``last`` (inclusive, ISO dates); days without applications are left out."""
    sql = "SELECT service_id, day, id, status FROM applications WHERE region = ? AND day BETWEEN ? AND ?"
    args = [region, first, last]
    if service_id is not None:
        sql, args = sql + " AND service_id = ?", [*args, service_id]
    rows = store.connection().execute(sql + " ORDER BY service_id, day", args).fetchall()
    out = []
    for (service, day), group in groupby(rows, key=lambda r: (r["service_id"], r["day"])):
        members = [(r["id"], r["status"]) for r in group]
        out.append(
            {
                "service_id": service,
                "day": day,
                "count": len(members),
                "checksum": checksum(members),
                "by_status": dict(sorted(Counter(status for _, status in members).items())),
            }
        )
    return {"region": region, "from": first, "to": last, "day_basis": "UTC", "rows": out}
