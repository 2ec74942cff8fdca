"""Requirement ids are unique within a package: attachments are matched to requirements by id."""

from __future__ import annotations

from collections.abc import Iterator

from registry.rules.access import as_list, dig
from registry.rules.context import Finding, PackageContext


def check_requirement_ids(ctx: PackageContext) -> Iterator[Finding]:
    """Report every repeated requirement id, pointing at its first use."""
    first_seen: dict[str, int] = {}
    for index, requirement in enumerate(as_list(dig(ctx.doc, "service", "requirements"))):
        rid = requirement.get("id") if isinstance(requirement, dict) else None
        if not isinstance(rid, str):
            continue
        if rid in first_seen:
            yield Finding(
                ("service", "requirements", index, "id"),
                f"requirement id '{rid}' is already used by $.service.requirements[{first_seen[rid]}]",
            )
        else:
            first_seen[rid] = index
