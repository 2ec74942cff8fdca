"""The hub API as an ASGI app: ``create_app(ledger, registry)``; ``mpphub serve`` runs it with uvicorn.

OpenAPI is published at ``/openapi.json``. The interactive docs pages are off: they load their assets
from a CDN, and the hub serves nothing that downloads from the internet. The dashboard's static files
(``hub/dashboard/static/``) are mounted at ``/`` when that folder exists.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from connectors.ledger.store import Ledger
from hub.api import routes_health, routes_history, routes_ops, routes_registry
from hub.api.auth import Caller, State, require_role
from hub.api.errors import ERRORS, install_error_handlers
from hub.api.metrics import CONTENT_TYPE, render
from hub.api.security_headers import SecurityHeaders
from hub.api.state import HubState
from hub.health.national import NationalBacklog
from hub.health.report import DEFAULT_FAILING_SHARE, DEFAULT_STALL_MINUTES

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard" / "static"
API_VERSION = "1"


def create_app(
    ledger: Ledger,
    registry: Path,
    stall_minutes: float = DEFAULT_STALL_MINUTES,
    cache_seconds: float = 10.0,
    dashboard: Path | None = DASHBOARD,
    failing_share: float = DEFAULT_FAILING_SHARE,
    national: NationalBacklog | None = None,
) -> FastAPI:
    """The API over an open ledger and a registry folder (``national``: where health asks what waits on the
    national side; None: not asked, reported as unknown)."""
    app = FastAPI(
        title="mpp-hub API",
        version=API_VERSION,
        description="Health of the regions' sync, the service catalogue, publishing, dead letters and the "
        "audit log. Every route needs `Authorization: Bearer <token>` (`mpphub token create`).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.hub = HubState(
        ledger,
        registry,
        stall_minutes=stall_minutes,
        cache_seconds=cache_seconds,
        failing_share=failing_share,
        national=national,
    )
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.include_router(routes_health.router)
    app.include_router(routes_registry.router)
    app.include_router(routes_ops.router)
    app.include_router(routes_history.router)

    @app.get(
        "/metrics",
        response_class=Response,
        responses={
            **{k: v for k, v in ERRORS.items() if k != 422},
            200: {"content": {CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}}, "description": "metrics"},
        },
        summary="Prometheus metrics per region (coordinators and operators)",
    )
    async def metrics(caller: Caller, state: State) -> Response:
        """Health gauges per region and totals, for Prometheus (bearer token in its scrape config)."""
        require_role(caller, "coordinator", "operator")
        report = await run_in_threadpool(state.report)
        return Response(render(report), media_type=CONTENT_TYPE)

    app.state.hub.warm_up()
    if dashboard is not None and dashboard.is_dir():
        app.mount("/", StaticFiles(directory=dashboard, html=True), name="dashboard")
    return app
