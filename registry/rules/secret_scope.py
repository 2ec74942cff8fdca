"""Secrets are scoped: a package names only secrets in its own region's namespace (``R3576_...`` for
35.76), never the hub's settings or anything else the hub's process can read (``registry.secret_scope``)."""

from __future__ import annotations

from collections.abc import Iterator

from registry.regions import REGION_CODE
from registry.rules.context import Finding, PackageContext
from registry.secret_scope import namespace_problem, secret_references


def check_secret_namespace(ctx: PackageContext) -> Iterator[Finding]:
    """Each ``*_ref`` of ``local_system.auth`` and ``connection_ref`` lies in the package region's namespace."""
    region = ctx.doc.get("region")
    if not isinstance(region, str) or not REGION_CODE.match(region):
        return  # the schema and the region rule report it; no namespace to check against
    for path, name in secret_references(ctx.doc):
        problem = namespace_problem(name, region)
        if problem:
            yield Finding(path, problem)
