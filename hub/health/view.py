"""The health report as the CLI shows it: same facts as the API, as JSON documents and terminal tables."""

from __future__ import annotations

from typing import Any

from connectors.ledger.store import Ledger
from connectors.masking import scrub_text
from hub.health.national import NationalBacklog, national_backlog
from hub.health.queries import read_engine
from hub.health.report import DEFAULT_STALL_MINUTES, HealthReport, build_report, iso, public
from hub.settings import Settings
from registry.index import load_index


def current_report(
    ledger: Ledger,
    settings: Settings,
    stall_minutes: float = DEFAULT_STALL_MINUTES,
    national: NationalBacklog | None = None,
) -> HealthReport:
    """The health report of every published service now, with what waits on the national layer (asked
    with a short timeout; unknown when it cannot be reached)."""
    reader = read_engine(ledger.engine)
    try:
        return build_report(
            reader,
            load_index(settings.registry),
            ledger.clock.now(),  # ages as the ledger that stamped them counts time
            stall_minutes,
            failing_share=settings.failing_share,
            national=national if national is not None else national_backlog(settings),
        )
    finally:
        if reader is not ledger.engine:
            reader.dispose()


def clean(row: dict[str, Any]) -> dict[str, Any]:
    """A public row with free text scrubbed of anything like a NIK or phone number."""
    shown = public(row)
    for key in ("reason", "last_error"):
        if isinstance(shown.get(key), str):
            shown[key] = scrub_text(shown[key])
    return shown


def national_document(report: HealthReport) -> dict[str, Any]:
    """``mpphub status --format json``: totals and every region."""
    return {
        "generated_at": iso(report.generated_at),
        "totals": {**report.totals(), "national_backlog": report.national_backlog()},
        "regions": [clean(row) for row in report.regions.values()],
    }


def region_document(report: HealthReport, code: str) -> dict[str, Any] | None:
    """``mpphub status --region R --format json``: the region and its services (None: no such region)."""
    row = report.regions.get(code)
    if row is None:
        return None
    page = clean(row)
    page["service_count"] = page.pop("services")
    page["services"] = sorted(
        (clean(s) for s in report.services.values() if s["region"] == code), key=lambda s: s["service_id"]
    )
    return page


def national_backlog_text(count: int | None) -> str:
    """How the CLI says what waits on the national side: never "0" for a count it could not take."""
    if count is None:
        return "national backlog unknown (the national layer could not be asked)"
    return f"{count} of them waiting on the national side"


def duration(seconds: int) -> str:
    """``0s``, ``4m``, ``3h12m``, ``2d4h``."""
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{hours // 24}d{hours % 24}h"


def table(rows: list[list[str]], header: list[str]) -> str:
    """Left-aligned columns, the last one unpadded."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return "\n".join(lines)
