"""Rules beyond the JSON Schema: facts a schema cannot express (the region table, cross-field
references, uniqueness by key, secrets, URL safety).

Each rule is a function ``(PackageContext) -> Iterable[Finding]`` listed in ``PACKAGE_RULES`` under
its name. Rules run on every document, valid against the schema or not, so each one reads the
document defensively through ``registry.rules.access``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from registry.rules.context import Finding, PackageContext
from registry.rules.date_formats import check_date_format
from registry.rules.display_text import check_display_text
from registry.rules.endpoints import check_endpoints
from registry.rules.envelopes import check_envelopes
from registry.rules.fault_codes import check_fault_codes
from registry.rules.feed_filters import check_feed_filters
from registry.rules.form_patterns import check_form_patterns
from registry.rules.form_refs import check_form_references
from registry.rules.mapping_sources import check_mapping_sources
from registry.rules.personal_data import check_personal_data
from registry.rules.region import check_region
from registry.rules.request_encodings import check_request_encodings
from registry.rules.requirements import check_requirement_ids
from registry.rules.secret_scope import check_secret_namespace
from registry.rules.secrets import check_no_literal_secrets
from registry.rules.status_map import check_status_map_finishes

Rule = Callable[[PackageContext], Iterable[Finding]]

PACKAGE_RULES: dict[str, Rule] = {
    "region": check_region,
    "mapping-source": check_mapping_sources,
    "status-map-terminal": check_status_map_finishes,
    "literal-secret": check_no_literal_secrets,
    "secret-namespace": check_secret_namespace,
    "endpoint-scheme": check_endpoints,
    "requirement-id-unique": check_requirement_ids,
    "personal-data-unmarked": check_personal_data,
    "form-reference-local": check_form_references,
    "form-pattern": check_form_patterns,
    "display-text": check_display_text,
    "envelope": check_envelopes,
    "fault-code": check_fault_codes,
    "request-encoding": check_request_encodings,
    "date-format": check_date_format,
    "feed-filter": check_feed_filters,
}

__all__ = ["PACKAGE_RULES", "Finding", "PackageContext", "Rule"]
