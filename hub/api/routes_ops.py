"""Operations routes: dead letters and replay (operators, audited), the audit log, settings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from connectors.ledger.types import as_utc
from connectors.masking import scrub_text
from hub.api.auth import Caller, State, require_region, require_role, scope_of
from hub.api.errors import ERRORS, NOT_FOUND, ApiError
from hub.api.models import (
    AuditRow,
    AuditVerification,
    DeadLetterPage,
    DeadLetterRow,
    Replayed,
    ReplayedSelection,
    ReplaySelection,
)
from hub.api.routes_health import _dead_letter_rows
from hub.health.report import iso
from hub.replaying import replay_dead_letter
from hub.tokens import Principal
from registry.regions import region_table

router = APIRouter(prefix="/api/v1", responses=ERRORS)


def operator(caller: Caller) -> Principal:
    """The caller, when an operator (a dependency: the 403 comes before the request body is read)."""
    require_role(caller, "operator")
    return caller


Operator = Annotated[Principal, Depends(operator)]
REGION_CODE = r"^[0-9]{2}(\.[0-9]{2})?$"
DeadLetterKind = Literal["application", "event", "record"]


@router.get("/dead-letters", response_model=list[DeadLetterRow], summary="open dead letters, newest first")
def dead_letters(
    caller: Caller,
    state: State,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{2}(\.[0-9]{2})?$")] = None,
    service: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    """Open dead letters by region (a province includes its regencies) and service."""
    scope = scope_of(caller, region)
    if service is not None:
        require_region(caller, service.partition("/")[0])
    letters = state.ledger.dead_letters(region=scope, service_id=service)
    if caller.role == "region":
        letters = [d for d in letters if d["region"] == caller.region]
    return _dead_letter_rows(state, letters[:limit])


@router.get(
    "/dead-letters/page",
    response_model=DeadLetterPage,
    summary="open dead letters, filtered and paginated, with the local reference (the dashboard's page)",
)
def dead_letter_page(
    caller: Caller,
    state: State,
    region: Annotated[
        str | None, Query(pattern=REGION_CODE, description="region, or province with its regencies")
    ] = None,
    service: Annotated[str | None, Query(max_length=120)] = None,
    reason: Annotated[str | None, Query(max_length=100, description="text the reason contains (any case)")] = None,
    kind: DeadLetterKind | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Open dead letters newest first, filtered and counted in SQL; a region team's token reads its own
    region only (another region: 403, and its counts never appear)."""
    scope = caller.region if caller.role == "region" else None
    region = scope_of(caller, region)
    if service is not None:
        require_region(caller, service.partition("/")[0])
    if reason is not None and scrub_text(reason) != reason:
        # the reasons are masked: searching them for a NIK or a phone number would test whether one is there
        raise ApiError(422, "invalid request: reason: may not hold a NIK or a phone number")
    rows, total, by_region = state.ledger.dead_letter_page(
        scope=scope,
        region=region,
        service_id=service,
        reason=reason or None,
        kind=kind,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    table = region_table()

    def name(code: str) -> str:
        known = table.get(code)
        return known.name if known else code

    items = [
        {
            **row,
            "reason": scrub_text(str(row["reason"])),
            "created_at": iso(as_utc(row["created_at"])),
            "region_name": name(row["region"]),
            "local_reference": None if row["local_reference"] is None else scrub_text(row["local_reference"]),
        }
        for row in rows
    ]
    return {
        "items": items,
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": max(1, -(-total // page_size)),
        "regions": [{"code": c, "name": name(c), "count": n} for c, n in sorted(by_region.items())],
    }


@router.post(
    "/dead-letters/replay",
    response_model=ReplayedSelection,
    summary="send a selection of dead letters again, at most 100 (operators; each audited)",
)
async def replay_selection(caller: Operator, state: State, selection: ReplaySelection) -> dict[str, Any]:
    """Replay each listed open dead letter exactly as `mpphub replay ID...` does, one audit record each;
    ids no longer open (replayed meanwhile) are listed, not an error."""
    replayed, not_open = [], []
    for letter_id in dict.fromkeys(selection.ids):  # each id once, in the order given
        if not 1 <= letter_id <= 2**31 - 1:
            not_open.append(letter_id)
            continue
        result = await run_in_threadpool(replay_dead_letter, state.ledger, letter_id, f"token:{caller.name}")
        if result is None:
            not_open.append(letter_id)
        else:
            replayed.append(result)
    if replayed:
        state.invalidate()
    return {"replayed": replayed, "not_open": not_open}


@router.post(
    "/dead-letters/{letter_id}/replay",
    response_model=Replayed,
    responses=NOT_FOUND,
    summary="send a dead letter again (operators; audited)",
)
async def replay(caller: Caller, state: State, letter_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    """Put an open dead letter back in line, as `mpphub replay ID` does; the next sync moves it."""
    require_role(caller, "operator")
    result = await run_in_threadpool(replay_dead_letter, state.ledger, letter_id, f"token:{caller.name}")
    if result is None:
        raise ApiError(404, "no open dead letter with this id")
    state.invalidate()
    return result


@router.get("/audit", response_model=list[AuditRow], summary="the audit log, newest first")
def audit(caller: Caller, state: State, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """Publishes and replays, hash-chained (coordinators and operators)."""
    require_role(caller, "coordinator", "operator")
    return state.ledger.audit_records(limit)


@router.get("/audit/verify", response_model=AuditVerification, summary="recompute the audit chain")
def audit_verify(caller: Caller, state: State) -> dict[str, Any]:
    """Whether every record still matches its hash and links to the one before."""
    require_role(caller, "coordinator", "operator")
    broken = state.ledger.verify_audit()
    return {
        "ok": broken is None,
        "records": state.ledger.audit_count(),
        "broken_seq": broken.seq if broken else None,
        "reason": broken.reason if broken else None,
    }


@router.get("/settings", response_model=dict[str, Any], summary="the hub's settings, secrets redacted (operators)")
def settings(caller: Caller, state: State) -> dict[str, Any]:
    """What this API process runs with; secrets shown as their length."""
    require_role(caller, "operator")
    from sqlalchemy.engine import make_url

    from hub.settings import Settings

    shown = Settings.from_env().redacted()
    shown["ledger_url"] = make_url(str(shown["ledger_url"])).render_as_string(hide_password=True)
    shown["stall_minutes"] = state.stall_minutes
    shown["cache_seconds"] = state.cache_seconds
    return shown
