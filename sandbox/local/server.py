"""Assembling a simulated REST system: families of routes over one store, the control endpoints, RFC 9457
problems for unknown routes, the officers' pace, and the fault middleware around everything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.faults import FaultConfig, FaultInjector, FaultState
from sandbox.http import problem
from sandbox.local.control import control_routes
from sandbox.local.families import Family
from sandbox.local.pace import Pace
from sandbox.local.paging import Listings
from sandbox.local.rest_engine import Authorize, FamilyApi
from sandbox.local.store import LocalStore


@dataclass
class LocalServerHandle:
    """In-process access to a running simulated system (``handle(app)``), for benchmarks and drills that
    do not want to go through HTTP."""

    store: LocalStore
    pace: Pace
    faults: FaultState


def handle(app: FaultInjector) -> LocalServerHandle:
    """The in-process handle of an app made by ``assemble`` (store, pace, faults)."""
    inner = app.app
    if not isinstance(inner, Starlette) or not isinstance(inner.state.sandbox, LocalServerHandle):
        raise TypeError("not a simulated local system")
    return inner.state.sandbox


async def _http_problem(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    response = problem(status, "Not Found" if status == 404 else "Error", str(detail))
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response


def assemble(
    families: list[Family],
    store: LocalStore,
    authorize: Authorize,
    fault_config: dict[str, Any] | None,
    officer_interval_s: float | None,
) -> FaultInjector:
    """The ASGI app of one simulated system, wrapped in its ``FaultInjector``."""

    def routes(listings: Listings) -> list[BaseRoute]:
        return [route for family in families for route in FamilyApi(family, store, listings, authorize).routes()]

    return assemble_routes(routes, store, fault_config, officer_interval_s)


def assemble_routes(
    build_routes: Callable[[Listings], list[BaseRoute]],
    store: LocalStore,
    fault_config: dict[str, Any] | None,
    officer_interval_s: float | None,
) -> FaultInjector:
    """Like ``assemble``, for a style whose API is not a ``FamilyApi`` (``rest_form``): its routes (its own
    ``/_sandbox/`` endpoints among them, if any) are built over the server's listings."""
    faults = FaultState(FaultConfig.from_dict(fault_config or {}))
    listings = Listings(faults)
    pace = Pace(store.pace_tick)
    routes = [*build_routes(listings), *control_routes(store, pace)]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_problem})
    app.state.sandbox = LocalServerHandle(store, pace, faults)
    if officer_interval_s:
        pace.start(officer_interval_s)
    return FaultInjector(app, faults)
