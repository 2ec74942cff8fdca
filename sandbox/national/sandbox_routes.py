"""Sandbox-only routes (not part of the national contract; never faulted, no token):

- ``GET /_sandbox/truth[?region=R]``: what the national layer holds (see ``truth``);
- ``POST /_sandbox/applications``: a citizen submits an application (the citizen simulator's HTTP way in).
  Body: ``{"id"?, "service_id", "package_version"?, "channel"?, "submitted_at"?, "form",
  "attachments"?: [{"requirement_id", "filename", "media_type", "content_base64"}]}``; the service version
  must be in the catalogue (default: its latest) and the form valid for it. 201 new, 200 same id again.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import jsonschema_rs
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.http import problem
from sandbox.national import applications, catalogue, views
from sandbox.national.bodies import read_json, validation_problem
from sandbox.national.contract import form_validator, issues_of
from sandbox.national.errors import Invalid, Issue, NationalError
from sandbox.national.store import Store
from sandbox.national.truth import truth

SUBMISSION = jsonschema_rs.validator_for(
    {
        "type": "object",
        "required": ["service_id", "form"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$"},
            "service_id": {"type": "string", "maxLength": 80},
            "package_version": {"type": "string", "maxLength": 64},
            "channel": {"enum": ["online", "mobile"]},
            "submitted_at": {"type": "string", "format": "date-time"},
            "form": {"type": "object"},
            "attachments": {
                "type": "array",
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "required": ["requirement_id", "filename", "media_type", "content_base64"],
                    "additionalProperties": False,
                    "properties": {
                        "requirement_id": {"type": "string", "maxLength": 64},
                        "filename": {"type": "string", "maxLength": 200},
                        "media_type": {"type": "string", "maxLength": 100},
                        "content_base64": {"type": "string"},
                    },
                },
            },
        },
    },
    validate_formats=True,
)


def _to_application(store: Store, body: dict[str, Any]) -> applications.NewApplication:
    service_id = body["service_id"]
    version = body.get("package_version")
    if version is None:
        version = catalogue.get_service(store, service_id)["latest"]
    form = catalogue.form_of(store, service_id, version)
    if form is None:
        raise Invalid(422, [Issue("body", "$.package_version", f"{service_id} {version} is not in the catalogue")])
    issues = issues_of(form_validator(json.dumps(form, sort_keys=True)), body["form"], "body", "$.form")
    if issues:
        raise Invalid(422, issues)
    files = []
    for i, a in enumerate(body.get("attachments", [])):
        try:
            content = base64.b64decode(a["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(422, [Issue("body", f"$.attachments[{i}].content_base64", "is not base64")]) from None
        files.append(applications.NewAttachment(a["requirement_id"], a["filename"], a["media_type"], content))
    try:
        applications.utc_day(body.get("submitted_at", "2000-01-01T00:00:00Z"))
    except ValueError:
        raise Invalid(422, [Issue("body", "$.submitted_at", "must be a valid RFC 3339 date-time")]) from None
    extra = {k: body[k] for k in ("id", "channel", "submitted_at") if k in body}
    return applications.NewApplication(service_id, version, body["form"], attachments=files, **extra)


def sandbox_routes(store: Store) -> list[Route]:
    """The ``/_sandbox/`` routes of the national layer over ``store``."""

    async def get_truth(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(truth, store, request.query_params.get("region")))

    async def submit(request: Request) -> Response:
        try:
            body = await read_json(request)
            issues = issues_of(SUBMISSION, body, "body")
            if issues:
                raise Invalid(422, issues)
            app = await run_in_threadpool(_to_application, store, body)
            created = await run_in_threadpool(applications.submit, store, app)
            record = await run_in_threadpool(views.detail, store, app.id, str(request.base_url).rstrip("/"))
        except Invalid as exc:
            return validation_problem(exc)
        except NationalError as exc:
            return problem(exc.status, exc.title, exc.detail)
        return JSONResponse({"application": record["application"]}, status_code=201 if created else 200)

    return [
        Route("/_sandbox/truth", get_truth, methods=["GET"]),
        Route("/_sandbox/applications", submit, methods=["POST"]),
    ]
