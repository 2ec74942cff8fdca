"""The sandbox national layer as an ASGI app: ``create_app(db_path, ...)`` (also for ``serve_in_process``).

Routes implement ``schemas/national-api.openapi.json``: each request is authenticated (bearer), its
parameters and body are checked against the contract, then the store answers. Errors are RFC 9457
problems. The app is wrapped in the sandbox ``FaultInjector``; the feed also draws the record-level
faults (``duplicate_rate``: an item is sent twice; ``out_of_order_rate``: two neighbours are swapped).
Sandbox-only routes (truth, citizens' submissions) live in ``sandbox.national.sandbox_routes``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.faults import FaultConfig, FaultInjector, FaultState
from sandbox.http import bearer_ok, problem, unauthorized
from sandbox.national import applications, catalogue, cursor, events, reconcile, views, waiting
from sandbox.national.bodies import read_json, validation_problem
from sandbox.national.contract import form_validator, issues_of, operation, package_part
from sandbox.national.errors import Invalid, Issue, NationalError
from sandbox.national.sandbox_routes import sandbox_routes
from sandbox.national.store import Store

log = logging.getLogger("sandbox.national")
Handler = Callable[[Request, dict[str, Any], Any], Awaitable[Response]]
BINARY_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAX_RECONCILIATION_DAYS = 366


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class NationalApi:
    """The contract's operations over one store."""

    def __init__(self, store: Store, token: str, faults: FaultState, hmac_key: str) -> None:
        self.store, self.token, self.faults, self.key = store, token, faults, hmac_key

    def endpoint(self, operation_id: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap ``handler`` with authentication, contract checks and problem responses."""
        op = operation(operation_id)

        async def run(request: Request) -> Response:
            if not bearer_ok(request, self.token):
                return unauthorized()
            try:
                params, issues = op.check_parameters(request.path_params, request.query_params, request.headers)
                if issues:
                    raise Invalid(400, issues)
                body = None
                if op.body is not None:
                    body = await read_json(request)
                    issues = op.check_body(body)
                    if issues:
                        raise Invalid(422, issues)
                return await handler(request, params, body)
            except Invalid as exc:
                return validation_problem(exc)
            except NationalError as exc:
                return problem(exc.status, exc.title, exc.detail, type=exc.problem_type, **exc.extra)

        return run

    async def publish(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """PUT /catalogue/{region}/{slug}/versions/{version}."""
        expected = {"id": f"{p['region']}/{p['slug']}", "region": p["region"], "version": p["version"]}
        issues = [
            Issue("body", f"$.{k}", f"must be {v!r}, as in the path") for k, v in expected.items() if body[k] != v
        ]
        issues += issues_of(package_part("/$defs/form"), body["form"], "body", "$.form")
        if issues:
            raise Invalid(422, issues)
        entry, created = await run_in_threadpool(catalogue.publish, self.store, body)
        log.info("catalogue %s %s created=%s", body["id"], body["version"], created)
        return JSONResponse(entry, status_code=201 if created else 200)

    async def list_catalogue(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /catalogue."""
        after = cursor.decode(p.get("cursor"), "catalogue", self.key)
        items, last, more = await run_in_threadpool(
            catalogue.list_page, self.store, after, p.get("limit", 100), p.get("region"), p.get("category")
        )
        return JSONResponse(
            {"items": items, "next_cursor": cursor.encode("catalogue", last, self.key), "has_more": more}
        )

    async def get_service(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /catalogue/{region}/{slug}."""
        return JSONResponse(await run_in_threadpool(catalogue.get_service, self.store, f"{p['region']}/{p['slug']}"))

    async def get_version(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /catalogue/{region}/{slug}/versions/{version}."""
        package_id = f"{p['region']}/{p['slug']}"
        return JSONResponse(await run_in_threadpool(catalogue.get_entry, self.store, package_id, p["version"]))

    async def feed(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /regions/{region}/applications (record-level faults drawn here)."""
        after = cursor.decode(p.get("cursor"), "applications", self.key)
        items, last, more = await run_in_threadpool(
            views.feed_page,
            self.store,
            p["region"],
            after,
            p.get("limit", 100),
            _base_url(request),
            p.get("service_id"),
        )
        faulty: list[str] = []
        config = self.faults.config  # no draw while a knob is off: request-level faults keep their sequence
        for item in items:
            faulty.append(item)
            if config.duplicate_rate and self.faults.draw("duplicate_rate"):
                faulty.append(item)
        for i in range(len(faulty) - 1):
            if config.out_of_order_rate and self.faults.draw("out_of_order_rate"):
                faulty[i], faulty[i + 1] = faulty[i + 1], faulty[i]
        next_cursor = cursor.encode("applications", last, self.key)
        # the items are JSON texts already (views.feed_page): assembled, not decoded and encoded again
        body = f'{{"items":[{",".join(faulty)}],"next_cursor":{json.dumps(next_cursor)},"has_more":{json.dumps(more)}}}'
        return Response(body.encode("utf-8"), media_type="application/json")

    async def waiting_counts(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /waiting-counts."""
        return JSONResponse(await run_in_threadpool(waiting.waiting_counts, self.store, p.get("region")))

    async def get_application(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /applications/{application_id}."""
        return JSONResponse(await run_in_threadpool(views.detail, self.store, p["application_id"], _base_url(request)))

    async def acknowledge(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """PUT /applications/{application_id}/acknowledgement."""
        ack, created = await run_in_threadpool(
            applications.acknowledge, self.store, p["application_id"], body["local_reference"]
        )
        log.info("acknowledgement application=%s created=%s", p["application_id"], created)
        return JSONResponse(ack, status_code=201 if created else 200)

    def _check_new_walk_in(self, app: applications.NewApplication) -> None:
        form = catalogue.form_of(self.store, app.service_id, app.package_version)
        if form is None:
            message = f"{app.service_id} {app.package_version} is not in the national catalogue (publish it first)"
            raise Invalid(422, [Issue("body", "$.package_version", message)])
        issues = issues_of(form_validator(json.dumps(form, sort_keys=True)), app.form, "body", "$.form")
        if issues:
            raise Invalid(422, issues)

    async def walk_in(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """POST /walk-ins (idempotent by Idempotency-Key and by service_id + local_reference)."""
        try:
            applications.utc_day(body["submitted_at"])
        except ValueError:
            raise Invalid(422, [Issue("body", "$.submitted_at", "must be a valid RFC 3339 date-time")]) from None
        app = applications.NewApplication(
            service_id=body["service_id"],
            package_version=body["package_version"],
            form=body["form"],
            submitted_at=body["submitted_at"],
            channel="counter",
            status=body.get("status", "submitted"),
            local_reference=body["local_reference"],
            attachments=[applications.NewAttachment(**a) for a in body.get("attachments", [])],
        )
        app_id, created = await run_in_threadpool(
            applications.register_walk_in, self.store, app, p["Idempotency-Key"], self._check_new_walk_in
        )
        log.info("walk-in application=%s service=%s created=%s", app_id, app.service_id, created)
        record = await run_in_threadpool(views.detail, self.store, app_id, _base_url(request))
        return JSONResponse(
            {"application": record["application"], "created": created}, status_code=201 if created else 200
        )

    async def push_events(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """POST /status-events."""
        result = await run_in_threadpool(events.push, self.store, body["events"])
        log.info(
            "status events: %d accepted, %d duplicates, %d rejected",
            result["accepted"],
            result["duplicates"],
            result["rejected"],
        )
        return JSONResponse(result)

    async def attachment(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /attachments/{attachment_id}."""
        content, media_type, sha = await run_in_threadpool(views.attachment_content, self.store, p["attachment_id"])
        media_type = media_type if media_type in BINARY_TYPES else "application/octet-stream"
        return Response(content, media_type=media_type, headers={"ETag": f'"{sha}"'})

    async def reconciliation(self, request: Request, p: dict[str, Any], body: Any) -> Response:
        """GET /reconciliation."""
        first, last = date.fromisoformat(p["from"]), date.fromisoformat(p["to"])
        if last < first:
            raise Invalid(400, [Issue("query", "$.to", "must not be before from")])
        if (last - first).days >= MAX_RECONCILIATION_DAYS:
            raise Invalid(400, [Issue("query", "$.to", f"must be less than {MAX_RECONCILIATION_DAYS} days after from")])
        result = await run_in_threadpool(
            reconcile.reconciliation, self.store, p["region"], first.isoformat(), last.isoformat(), p.get("service_id")
        )
        return JSONResponse(result)

    def routes(self) -> list[Route]:
        """The contract's routes."""
        table: list[tuple[str, str, str, Handler]] = [
            ("/catalogue", "GET", "listCatalogue", self.list_catalogue),
            ("/catalogue/{region}/{slug}", "GET", "getCatalogueService", self.get_service),
            ("/catalogue/{region}/{slug}/versions/{version}", "PUT", "publishPackageVersion", self.publish),
            ("/catalogue/{region}/{slug}/versions/{version}", "GET", "getPackageVersion", self.get_version),
            ("/regions/{region}/applications", "GET", "listNewApplications", self.feed),
            ("/waiting-counts", "GET", "getWaitingCounts", self.waiting_counts),
            ("/applications/{application_id}", "GET", "getApplication", self.get_application),
            ("/applications/{application_id}/acknowledgement", "PUT", "acknowledgeApplication", self.acknowledge),
            ("/walk-ins", "POST", "registerWalkIn", self.walk_in),
            ("/status-events", "POST", "pushStatusEvents", self.push_events),
            ("/attachments/{attachment_id}", "GET", "getAttachment", self.attachment),
            ("/reconciliation", "GET", "getReconciliation", self.reconciliation),
        ]
        return [Route(path, self.endpoint(op_id, h), methods=[method]) for path, method, op_id, h in table]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: "Not Found", 405: "Method Not Allowed"}
    detail = f"no operation {request.method} {request.url.path}" if exc.status_code in titles else str(exc.detail)
    return problem(exc.status_code, titles.get(exc.status_code, "Error"), detail)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return problem(500, "Internal Server Error", "the national layer failed; retry with the same idempotency key")


def create_app(
    db_path: str,
    token: str = "sandbox-national-token",  # noqa: S107 - the sandbox's well-known token
    fault_config: dict[str, Any] | None = None,
    registry_dir: str | None = None,
    hmac_key: str = "sandbox",
) -> FaultInjector:
    """The sandbox national layer over the SQLite file ``db_path``, wrapped in the fault injector.

    ``registry_dir`` (e.g. ``registry``): publish every version of its ``index.json`` to the catalogue at
    start (idempotent), so citizens can apply at once. ``hmac_key`` signs listing cursors.
    """
    store = Store(db_path)
    if registry_dir is not None:
        catalogue.seed_from_registry(store, registry_dir)
    faults = FaultState(FaultConfig.from_dict(fault_config or {}))
    api = NationalApi(store, token, faults, hmac_key)
    app = Starlette(
        routes=[*api.routes(), *sandbox_routes(store)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.store = store
    app.state.faults = faults
    return FaultInjector(app, faults)
