"""Bearer-token authentication and the role rules of the hub API.

401: no token, or one that is unknown or revoked. 403: a valid token whose role (or region) may not do
this. A region team never learns whether another region's service exists: its 403 comes before any 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.errors import ApiError
from hub.api.state import HubState
from hub.tokens import Principal, authenticate

bearer = HTTPBearer(auto_error=False, description="a token from `mpphub token create`")


def hub_state(request: Request) -> HubState:
    """The process's shared state."""
    state: HubState = request.app.state.hub
    return state


def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
    ledger = hub_state(request).ledger
    found = authenticate(ledger.engine, credentials.credentials, clock=ledger.clock)
    if found is None:
        raise ApiError(401, "unknown or revoked token")
    return found


Caller = Annotated[Principal, Depends(principal)]
State = Annotated[HubState, Depends(hub_state)]


def require_role(caller: Principal, *roles: str) -> None:
    """403 unless the caller has one of ``roles``."""
    if caller.role not in roles:
        raise ApiError(403, f"the {caller.role} role may not do this (needs {' or '.join(roles)})")


def require_region(caller: Principal, region: str) -> None:
    """403 when a region team asks about another region."""
    if not caller.can_read_region(region):
        raise ApiError(403, "a region token reads and publishes its own region only")


def scope_of(caller: Principal, requested: str | None) -> str | None:
    """The region a listing is limited to: the caller's own for a region team (403 if it asked for
    another), else what was asked (None: all)."""
    if caller.role == "region":
        if requested is not None and requested != caller.region:
            raise ApiError(403, "a region token reads and publishes its own region only")
        return caller.region
    return requested
