"""A feed's ``records_path`` must not filter: a filter can stall a read (issue 18 item 5).

Pagination ends at the first empty page, or at a short one (``connectors/pagination.py``), counted after
``records_path``. A filter (``data[?kode_layanan=='SKTM']``) empties or shortens pages the local system
sent full, so the read stops early and the cursor never passes the rows of other services: measured, 1 of
58 histories complete, 0 dead letters, exit 0. One feed that serves several services of a region is
declared as such instead (``status_changes.feed``): read once, every row routed by its service code, rows
of no package quarantined with their reason (docs/local-systems.md "Region feeds")."""

from __future__ import annotations

from collections.abc import Iterator

from registry.rules.access import as_dict
from registry.rules.context import Finding, PackageContext

_FEEDS = ("status_changes", "walk_ins")


def check_feed_filters(ctx: PackageContext) -> Iterator[Finding]:
    """No incremental operation's ``records_path`` holds a JMESPath filter expression."""
    operations = as_dict(as_dict(ctx.doc.get("local_system")).get("operations"))
    for name in _FEEDS:
        records_path = as_dict(operations.get(name)).get("records_path")
        if isinstance(records_path, str) and "[?" in records_path:
            hint = (
                "; for one feed serving several services of the region, declare status_changes.feed "
                "(name, service_code_path, service_code) and the hub routes each row by its code"
                if name == "status_changes"
                else ""
            )
            yield Finding(
                ("local_system", "operations", name, "records_path"),
                f"records_path {records_path!r} filters the records: a page the filter empties ends the read "
                f"and the cursor never passes it{hint}",
            )
