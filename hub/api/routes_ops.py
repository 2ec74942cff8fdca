"""Operations routes: dead letters and replay (operators, audited), the audit log, settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from hub.api.auth import Caller, State, require_region, require_role, scope_of
from hub.api.errors import ERRORS, NOT_FOUND, ApiError
from hub.api.models import AuditRow, AuditVerification, DeadLetterRow, Replayed
from hub.api.routes_health import _dead_letter_rows
from hub.replaying import replay_dead_letter

router = APIRouter(prefix="/api/v1", responses=ERRORS)


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
