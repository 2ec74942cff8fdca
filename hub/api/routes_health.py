"""Health routes: who am I, the overview, provinces, regions, a region, a service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from connectors.ledger.models import Application, DeadLetter, StatusEvent
from connectors.ledger.types import as_utc
from connectors.masking import scrub_text
from hub.api.auth import Caller, State, require_region, scope_of
from hub.api.errors import ERRORS, NOT_FOUND, ApiError
from hub.api.models import (
    ApplicationRow,
    DeadLetterRow,
    Me,
    Overview,
    ProvinceRow,
    RegionPage,
    RegionRow,
    ServiceDetail,
)
from hub.api.models import (
    State as StateName,
)
from hub.health.report import HealthReport, iso, public
from registry.regions import region_table

router = APIRouter(prefix="/api/v1", responses=ERRORS)
RECENT_APPLICATIONS = 100
SERVICE_ID = r"^[0-9]{2}(\.[0-9]{2})?/[a-z0-9]+(-[a-z0-9]+)*$"


def _scrubbed(row: dict[str, Any]) -> dict[str, Any]:
    """A public row whose free-text fields (errors from remote systems) cannot carry a NIK or phone."""
    clean = public(row)
    for key in ("reason", "last_error"):
        if isinstance(clean.get(key), str):
            clean[key] = scrub_text(clean[key])
    return clean


def _scoped(report: HealthReport, region: str | None) -> HealthReport:
    if region is None:
        return report
    scoped = HealthReport(report.generated_at)
    scoped.services = {k: v for k, v in report.services.items() if v["region"] == region}
    scoped.regions = {k: v for k, v in report.regions.items() if k == region}
    return scoped


@router.get("/me", response_model=Me, summary="the caller's name, role and region")
def me(caller: Caller) -> Me:
    """Who the token belongs to."""
    return Me(name=caller.name, role=caller.role, region=caller.region)  # type: ignore[arg-type]


@router.get("/overview", response_model=Overview, summary="totals and the last 24 hours")
def overview(caller: Caller, state: State) -> dict[str, Any]:
    """National totals (a region team: its region's) and hourly throughput and lag."""
    region = scope_of(caller, None)
    report = _scoped(state.report(), region)
    return {
        "generated_at": iso(report.generated_at),
        "totals": {**report.totals(), "national_backlog": report.national_backlog()},
        "series": state.series(region),
    }


@router.get("/provinces", response_model=list[ProvinceRow], summary="regions rolled up per province")
def provinces(caller: Caller, state: State) -> list[dict[str, Any]]:
    """One row per province with published services."""
    return _scoped(state.report(), scope_of(caller, None)).provinces()


@router.get("/regions", response_model=list[RegionRow], summary="health of every region")
def regions(
    caller: Caller,
    state: State,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="province code, e.g. 35")] = None,
    state_filter: Annotated[StateName | None, Query(alias="state")] = None,
    q: Annotated[str | None, Query(max_length=100, description="text in the region's name or code")] = None,
) -> list[dict[str, Any]]:
    """Regions with published services, filtered by province, state and text."""
    report = _scoped(state.report(), scope_of(caller, None))
    needle = q.casefold() if q else None
    rows = []
    for row in report.regions.values():
        if province and row["province_code"] != province:
            continue
        if state_filter and row["state"] != state_filter:
            continue
        if needle and needle not in row["name"].casefold() and needle not in row["code"]:
            continue
        rows.append(_scrubbed(row))
    return rows


@router.get(
    "/regions/{code}", response_model=RegionPage, responses=NOT_FOUND, summary="a region and its services' health"
)
def region(
    caller: Caller, state: State, code: Annotated[str, Path(pattern=r"^[0-9]{2}(\.[0-9]{2})?$")]
) -> dict[str, Any]:
    """One region's health with every service's."""
    require_region(caller, code)
    report = state.scoped_report(region=code)
    row = report.regions.get(code)
    if row is None:
        known = region_table().get(code)
        raise ApiError(404, "no published service in this region" if known else "unknown region code")
    services = sorted(
        (_scrubbed(s) for s in report.services.values() if s["region"] == code), key=lambda s: s["service_id"]
    )
    page = _scrubbed(row)
    page["service_count"] = page.pop("services")
    page["services"] = services
    return page


def _dead_letter_rows(state: State, letters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dead letters with the delivery (or push) attempts of their item."""
    app_refs = [d["ref"] for d in letters if d["kind"] == "application"]
    event_refs = [d["ref"] for d in letters if d["kind"] == "event"]
    attempts: dict[tuple[str, str], int] = {}
    with state.ledger.engine.connect() as conn:
        if app_refs:
            for ref, n in conn.execute(
                select(Application.national_id, Application.attempts).where(Application.national_id.in_(app_refs))
            ):
                attempts[("application", ref)] = int(n)
        if event_refs:
            for ref, n in conn.execute(
                select(StatusEvent.event_id, StatusEvent.attempts).where(StatusEvent.event_id.in_(event_refs))
            ):
                attempts[("event", ref)] = int(n)
    return [
        {
            "id": d["id"],
            "kind": d["kind"],
            "ref": d["ref"],
            "service_id": d["service_id"],
            "region": d["region"],
            "flow": d["flow"],
            "reason": scrub_text(str(d["reason"])),
            "created_at": iso(as_utc(d["created_at"])),
            "attempts": attempts.get((d["kind"], d["ref"]), 0),
            "replays": int(d["replays"] or 0),
        }
        for d in letters
    ]


@router.get(
    "/services/{service_id:path}",
    response_model=ServiceDetail,
    responses=NOT_FOUND,
    summary="a service's health, recent applications (masked) and dead letters",
)
def service(caller: Caller, state: State, service_id: str) -> dict[str, Any]:
    """One service: health, its 100 most recent applications (NIK and phone masked), open dead letters."""
    require_region(caller, service_id.partition("/")[0])
    if service_id not in state.index()["packages"]:
        raise ApiError(404, "no published service with this id")
    report = state.scoped_report(service_id=service_id)
    row = report.services[service_id]
    with state.ledger.engine.connect() as conn:
        apps = conn.execute(
            select(
                Application.national_id,
                Application.submitted_at,
                Application.national_status,
                Application.delivery,
                Application.package_version,
                Application.nik_masked,
                Application.phone_masked,
            )
            .where(Application.service_id == service_id)
            .order_by(Application.submitted_at.desc(), Application.national_id.desc())
            .limit(RECENT_APPLICATIONS)
        ).all()
        letters = [
            dict(r._mapping)
            for r in conn.execute(
                select(DeadLetter)
                .where(DeadLetter.service_id == service_id, DeadLetter.replayed_at.is_(None))
                .order_by(DeadLetter.created_at.desc(), DeadLetter.id.desc())
                .limit(RECENT_APPLICATIONS)
            )
        ]
    page = _scrubbed(row)
    page["region_name"] = report.regions[row["region"]]["name"]
    page["province_code"] = report.regions[row["region"]]["province_code"]  # the dashboard's breadcrumbs
    page["province_name"] = report.regions[row["region"]]["province_name"]
    page["dead_letter_count"] = page.pop("dead_letters")
    page["application_count"] = page.pop("applications")
    page["applications"] = [
        ApplicationRow(
            national_id=a.national_id,
            submitted_at=iso(as_utc(a.submitted_at)) or "",
            status=a.national_status,
            delivery=a.delivery,
            package_version=a.package_version,
            nik_masked=a.nik_masked,
            phone_masked=a.phone_masked,
        )
        for a in apps
    ]
    page["dead_letters"] = [DeadLetterRow(**d) for d in _dead_letter_rows(state, letters)]
    return page
