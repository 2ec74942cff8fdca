"""A status map lets applications finish: some local code must map to a terminal national status."""

from __future__ import annotations

from collections.abc import Iterator

from registry.rules.access import as_dict, dig
from registry.rules.context import Finding, PackageContext
from registry.schemas import terminal_statuses


def check_status_map_finishes(ctx: PackageContext) -> Iterator[Finding]:
    """Without a terminal target, every application would stay open forever nationally."""
    status_map = as_dict(dig(ctx.doc, "local_system", "status_map"))
    if status_map and not any(target in terminal_statuses() for target in status_map.values()):
        yield Finding(
            ("local_system", "status_map"),
            f"no local status maps to {' or '.join(terminal_statuses())}: applications could never finish",
        )
