"""A declared local date format (``local_system.date_format``) must be one strptime can use and that makes a
full timestamp: a format the hub cannot read would turn every local record into a dead letter, one without
a day or an hour would make cursors and histories lose order (registry/date_formats.py)."""

from __future__ import annotations

from collections.abc import Iterator

from registry.date_formats import MAX_LENGTH, format_problem
from registry.rules.access import as_dict
from registry.rules.context import Finding, PackageContext


def check_date_format(ctx: PackageContext) -> Iterator[Finding]:
    """The declared date format, if any, reads back every part of a timestamp it writes."""
    declared = as_dict(ctx.doc.get("local_system")).get("date_format")
    if not isinstance(declared, str) or not declared.strip() or len(declared) > MAX_LENGTH:
        return  # absent (ISO 8601), or of the wrong type or length: the schema's complaint, said once
    problem = format_problem(declared)
    if problem is not None:
        yield Finding(("local_system", "date_format"), problem)
