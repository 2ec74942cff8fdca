"""``errors`` rules that name a SOAP fault code (``fault_code``): only a soap system answers a Fault, so
a rest or sql package naming one has a rule that can never match (docs/format.md, "soap")."""

from __future__ import annotations

from collections.abc import Iterator

from registry.rules.access import as_dict, as_list
from registry.rules.context import Finding, PackageContext


def check_fault_codes(ctx: PackageContext) -> Iterator[Finding]:
    """``fault_code`` only in the ``errors`` rules of a soap package."""
    local = as_dict(ctx.doc.get("local_system"))
    kind = local.get("kind")
    if kind == "soap":
        return
    for index, rule in enumerate(as_list(local.get("errors"))):
        if "fault_code" in as_dict(rule):
            yield Finding(
                ("local_system", "errors", index, "fault_code"),
                f"fault_code can never match: a {kind if isinstance(kind, str) else 'non-soap'} system answers "
                "no SOAP Fault; match its answers by status, body_contains or message_contains",
            )
