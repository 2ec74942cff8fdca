"""Health per service, region and province: the ledger's aggregates joined with the registry index.

States (a service's, then its region's):

- ``onboarding``: published, never a successful run (and nothing failing yet);
- ``failing``: the latest run of some flow ended in a retriable or fatal error;
- ``stuck``: a queue of the service is held by the same item (``hub/health/stuck.py``: the head
  application or status event tried at least 3 times, not through) — even when every run ended "ok"; a
  fatal error still ranks first (it stops the package), a stuck queue before a retrying run (it says which
  item and why);
- ``stalled``: no successful run within the threshold (default 15 minutes) although it has run before;
- ``live``: a successful run within the threshold.

A region is onboarding while all its services are; otherwise failing when at least ``failing_share``
(``MPPHUB_FAILING_SHARE``, default 5%) of its services fail — one failing service among a small region's
few still makes it failing, one among an MPP's 180 does not, so a national error rate of 1% does not paint
every region red — else stuck if any service is stuck (citizens' applications wait behind it), else stalled
if any stalls, else live. A region below the threshold names its failing
services in its reason all the same. Each row carries a ``reason``: one sentence a coordinator can act on.

``backlog`` counts what waits for the region: applications in the ledger not yet delivered, status events
not yet pushed, and — when the national layer could be asked (``hub/health/national.py``) — citizens'
applications waiting on the national side that the hub has not pulled yet (``national_backlog``; None:
unknown, the national layer unreachable or not asked, and then ``backlog`` is the ledger's part only).

``sla_breaches`` counts open applications past their SLA now *and* applications closed late (their first
terminal status after their due day) within the last ``CLOSED_LATE_WINDOW_DAYS`` (30) days;
``sla_closed_late`` is the second part alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from hub.health.national import NationalBacklog, WaitingCounts
from hub.health.queries import ServiceFacts, gather, hourly_series
from hub.health.sla import breach_cutoff, wib_date
from hub.health.stuck import Stuck, stuck_services
from registry.regions import region_table

STATES = ("live", "onboarding", "failing", "stalled", "stuck")
DEFAULT_STALL_MINUTES = 15.0
DEFAULT_FAILING_SHARE = 0.05


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, or None (PostgreSQL may hand back times in its session's time zone)."""
    if moment is None:
        return None
    if moment.tzinfo is not None and moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def _age(now: datetime, moment: datetime | None) -> int:
    return 0 if moment is None else max(0, int((now - moment).total_seconds()))


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


@dataclass
class HealthReport:
    """Health rows for the services and regions in scope, as the API and the CLI show them."""

    generated_at: datetime
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def provinces(self) -> list[dict[str, Any]]:
        """Regions rolled up per province."""
        table = region_table()
        rows: dict[str, dict[str, Any]] = {}
        for region in self.regions.values():
            code = region["province_code"]
            row = rows.get(code)
            if row is None:
                province = table.get(code)
                row = rows[code] = {
                    "code": code,
                    "name": province.name if province else code,
                    "regions": 0,
                    **dict.fromkeys(STATES, 0),
                    "backlog": 0,
                    "dead_letters": 0,
                    "sla_breaches": 0,
                }
            row["regions"] += 1
            row[region["state"]] += 1
            for key in ("backlog", "dead_letters", "sla_breaches"):
                row[key] += region[key]
        return [rows[code] for code in sorted(rows)]

    def totals(self) -> dict[str, int]:
        """National (or scoped) totals."""
        totals = {"regions": len(self.regions), **dict.fromkeys(STATES, 0)}
        for region in self.regions.values():
            totals[region["state"]] += 1
        totals["services"] = len(self.services)
        for key in ("applications", "delivered", "backlog", "dead_letters", "sla_breaches", "sla_closed_late"):
            totals[key] = sum(int(region[key]) for region in self.regions.values())
        return totals

    def national_backlog(self) -> int | None:
        """Applications waiting on the national side in scope; None when that is unknown."""
        return _sum_known(region["national_backlog"] for region in self.regions.values())


def _sum_known(values: Iterable[int | None]) -> int | None:
    """The sum, or None as soon as one part is unknown (an unknown part is never taken for 0)."""
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _service_state(
    facts: ServiceFacts | None, now: datetime, stall: timedelta, stuck: Stuck | None = None
) -> tuple[str, str, str | None]:
    """(state, reason, last error)."""
    fatal = [f for f in facts.failing if f[1] == "fatal"] if facts else []
    if stuck is not None and not fatal:
        return "stuck", stuck.reason, stuck.last_error
    if facts is None or facts.runs == 0:
        return "onboarding", "published; no sync run yet", None
    if facts.failing:
        flow, outcome, error, _at = max(facts.failing, key=lambda f: f[3] or now)
        kind = "fatal error" if outcome == "fatal" else "retrying"
        return "failing", f"{flow}: {kind}: {error or 'no message'}", error
    if facts.last_success is None:
        return "onboarding", "sync runs started; none finished successfully yet", None
    idle = now - facts.last_success
    if idle > stall:
        return "stalled", f"no successful sync run for {_minutes(idle.total_seconds())}", None
    return "live", "synced recently", None


def _breaches(facts: ServiceFacts | None, sla_days: int | None, today: date) -> tuple[int, int]:
    """(open applications past their SLA today, applications closed late within the window)."""
    if facts is None or not sla_days:
        return 0, 0
    cutoff = breach_cutoff(int(sla_days), today)
    still_open = sum(n for day, n in facts.open_by_day if day <= cutoff)
    # closed on day c: late when submitted on or before the latest day already in breach on c
    late = sum(n for submitted, closed, n in facts.closed_by_days if submitted <= breach_cutoff(int(sla_days), closed))
    return still_open, late


def service_row(
    service_id: str,
    entry: dict[str, Any],
    facts: ServiceFacts | None,
    now: datetime,
    stall: timedelta,
    today: date | None = None,
    stuck: Stuck | None = None,
    waiting: WaitingCounts | None = None,
) -> dict[str, Any]:
    """One service's health row (``today``: the WIB day of ``now``, when the caller has it; ``stuck``: why
    one of its queues is held, from ``hub/health/stuck.py``; ``waiting``: the national layer's counts,
    None when unknown)."""
    state, reason, error = _service_state(facts, now, stall, stuck)
    national = None
    if waiting is not None:
        # what the ledger already holds unacknowledged is in the national count too: counted once
        national = max(0, waiting.by_service.get(service_id, 0) - (facts.unacknowledged if facts else 0))
    still_open, closed_late = _breaches(facts, entry.get("sla_working_days"), today or wib_date(now))
    oldest = [m for m in ((facts.oldest_waiting, facts.oldest_event) if facts else ()) if m is not None]
    names = entry.get("name", {})
    return {
        "service_id": service_id,
        "name": names.get("id", service_id) if isinstance(names, dict) else str(names),
        "name_en": names.get("en") if isinstance(names, dict) else None,
        "region": entry.get("region", service_id.partition("/")[0]),
        "category": entry.get("category"),
        "version": entry.get("latest"),
        "sla_working_days": entry.get("sla_working_days"),
        "state": state,
        "reason": reason,
        "last_success": iso(facts.last_success if facts else None),
        "lag_seconds": _age(now, min(oldest)) if oldest else 0,
        "backlog": ((facts.backlog_applications + facts.pending_events) if facts else 0) + (national or 0),
        "national_backlog": national,
        "failures": facts.failures if facts else 0,
        "dead_letters": facts.dead_letters if facts else 0,
        "sla_breaches": still_open + closed_late,
        "sla_closed_late": closed_late,
        "last_error": error,
        "applications": facts.applications if facts else 0,
        "delivered": facts.delivered if facts else 0,
        "stuck": stuck.as_dict() if stuck is not None else None,
        "_last_success": facts.last_success if facts else None,
        "_error_at": max((f[3] or now for f in facts.failing), default=None)
        if facts and facts.failing
        else (now if stuck is not None else None),  # a stuck queue's error is current: it sorts as of now
    }


def region_row(
    code: str, services: Iterable[dict[str, Any]], failing_share: float = DEFAULT_FAILING_SHARE
) -> dict[str, Any]:
    """One region's health row, rolled up from its services (failing from ``failing_share`` of them)."""
    region = region_table().get(code)
    province = region_table().get(region.province_code) if region else None
    rows = list(services)
    states = {row["state"] for row in rows}
    failing = [row for row in rows if row["state"] == "failing"]
    stalled = [row for row in rows if row["state"] == "stalled"]
    stuck = [row for row in rows if row["state"] == "stuck"]
    if states <= {"onboarding"}:
        state, reason = "onboarding", f"{len(rows)} service(s) published; none synced yet"
    elif failing and len(failing) >= failing_share * len(rows):
        worst = max(failing, key=lambda r: r["_error_at"])
        state, reason = (
            "failing",
            f"{len(failing)} failing service(s); latest: {worst['service_id']}: {worst['reason']}",
        )
    elif stuck:
        state, reason = (
            "stuck",
            f"{len(stuck)} stuck service(s); e.g. {stuck[0]['service_id']}: {stuck[0]['reason']}",
        )
    elif stalled:
        state, reason = (
            "stalled",
            f"{len(stalled)} stalled service(s); e.g. {stalled[0]['service_id']}: {stalled[0]['reason']}",
        )
    else:
        state, reason = "live", "every synced service ran successfully within the threshold"
    if failing and state != "failing":
        worst = max(failing, key=lambda r: r["_error_at"])
        below = (
            f"{len(failing)} of {len(rows)} service(s) failing, below the {failing_share:.0%} that marks the"
            f" region failing; latest: {worst['service_id']}: {worst['reason']}"
        )
        reason = below if state == "live" else f"{reason}; {below}"
    national = _sum_known(row.get("national_backlog") for row in rows)
    if national and state != "live":  # a stopped sync leaves citizens' applications on the national side
        reason = f"{reason}; {national} application(s) waiting on the national side, not pulled yet"
    successes = [row["_last_success"] for row in rows if row["_last_success"] is not None]
    errors = sorted((r for r in rows if r["last_error"]), key=lambda r: r["_error_at"], reverse=True)
    return {
        "code": code,
        "name": region.name if region else code,
        "province_code": region.province_code if region else code.partition(".")[0],
        "province_name": province.name if province else code.partition(".")[0],
        "state": state,
        "reason": reason,
        "services": len(rows),
        "last_success": iso(max(successes)) if successes else None,
        "lag_seconds": max((row["lag_seconds"] for row in rows), default=0),
        "backlog": sum(row["backlog"] for row in rows),
        "national_backlog": national,
        "failures": sum(row["failures"] for row in rows),
        "dead_letters": sum(row["dead_letters"] for row in rows),
        "sla_breaches": sum(row["sla_breaches"] for row in rows),
        "sla_closed_late": sum(row.get("sla_closed_late", 0) for row in rows),
        "last_error": errors[0]["last_error"] if errors else None,
        "applications": sum(row["applications"] for row in rows),
        "delivered": sum(row["delivered"] for row in rows),
    }


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A row without its internal sort keys."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def build_report(
    engine: Engine,
    index: dict[str, Any],
    now: datetime,
    stall_minutes: float = DEFAULT_STALL_MINUTES,
    region: str | None = None,
    service_id: str | None = None,
    failing_share: float = DEFAULT_FAILING_SHARE,
    national: NationalBacklog | None = None,
) -> HealthReport:
    """Health of every published service (or one region's, or one service) and of their regions.
    ``national``: where to ask what waits on the national side (None: not asked, so unknown)."""
    stall = timedelta(minutes=stall_minutes)
    scope = region if region is not None else (service_id.partition("/")[0] if service_id else None)
    # asked before the ledger is read: an application pulled in between is then counted once (in the
    # ledger), never zero times; one acknowledged in between is counted for one report too many, not hidden
    waiting = national.counts(scope) if national is not None else None
    facts = gather(engine, now, region=region, service_id=service_id)
    stuck = stuck_services(engine, region=region, service_ids=None if service_id is None else [service_id])
    report = HealthReport(now)
    by_region: dict[str, list[dict[str, Any]]] = {}
    today = wib_date(now)
    for package_id, entry in index["packages"].items():
        if service_id is not None and package_id != service_id:
            continue
        if region is not None and entry.get("region") != region:
            continue
        row = service_row(package_id, entry, facts.get(package_id), now, stall, today, stuck.get(package_id), waiting)
        report.services[package_id] = row
        by_region.setdefault(row["region"], []).append(row)
    for code in sorted(by_region):
        report.regions[code] = region_row(code, by_region[code], failing_share)
    return report


def series(engine: Engine, now: datetime, regions: list[str] | None = None) -> list[dict[str, Any]]:
    """The overview's last 24 hours, hourly."""
    return hourly_series(engine, now, regions)
