"""Registry routes: catalogue search, package versions, publish (region-scoped, audited)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from hub.api.auth import Caller, State, require_region, require_role, scope_of
from hub.api.errors import ERRORS, NOT_FOUND, ApiError
from hub.api.models import CatalogueRow, ErrorBody, Published, TemplateRow, VersionRow
from hub.host_checks import publish_check
from registry.catalogue import catalogue_rows
from registry.publish import publish as publish_file
from registry.semver import Version
from registry.standardisation import standardisation

router = APIRouter(prefix="/api/v1", responses=ERRORS)
MAX_PACKAGE_BYTES = 1024 * 1024
_ID = re.compile(r"^([0-9]{2}(?:\.[0-9]{2})?)/([a-z0-9]+(?:-[a-z0-9]+)*)$")


@router.get("/catalogue", response_model=list[CatalogueRow], summary="search the published services")
def catalogue(
    caller: Caller,
    state: State,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{2}(\.[0-9]{2})?$")] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[str | None, Query(max_length=100, description="text in the service's name (id or en)")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Published services (latest versions) by region (a province includes its regencies for
    coordinators), category and text; a region team sees its own region's."""
    scope = scope_of(caller, region)
    rows = catalogue_rows(state.index(), scope, category, q)
    if caller.role == "region":
        rows = [row for row in rows if row["region"] == caller.region]
    return [
        {
            "service_id": row["id"],
            "region": row["region"],
            "name": row["name"].get("id", row["id"]),
            "name_en": row["name"].get("en"),
            "category": row["category"],
            "agency": row.get("agency"),
            "version": row["version"],
            "sla_working_days": row["sla_working_days"],
            "fee_idr": row.get("fee_idr", 0),
            "channels": list(row.get("channels", [])),
            "kind": row.get("kind", ""),
        }
        for row in rows[offset : offset + limit]
    ]


@router.get(
    "/packages/{service_id:path}/versions",
    response_model=list[VersionRow],
    responses=NOT_FOUND,
    summary="the published versions of a package",
)
def versions(caller: Caller, state: State, service_id: str) -> list[dict[str, Any]]:
    """Every published version, newest first."""
    require_region(caller, service_id.partition("/")[0])
    entry = state.index()["packages"].get(service_id)
    if entry is None:
        raise ApiError(404, "no published package with this id")
    ordered = sorted(entry["versions"].items(), key=lambda kv: Version.parse(kv[0]), reverse=True)
    return [
        {
            "version": version,
            "published_at": info.get("published_at"),
            "sha256": info["sha256"],
            "latest": version == entry["latest"],
        }
        for version, info in ordered
    ]


@router.get("/templates", response_model=list[TemplateRow], summary="templates and how standard the nation is")
def templates(caller: Caller, state: State, top: Annotated[int, Query(ge=0, le=100)] = 5) -> list[dict[str, Any]]:
    """Per published template and connector profile: how many packages adopt it, on which version, how
    many lag behind its latest, in how many regions, and the ``top`` adopting packages with the longest
    overlays. A region team sees the national counts and its own region's packages."""
    region = caller.region if caller.role == "region" else None
    return standardisation(state.index(), top=top, region=region)


_PUBLISH_BODY = {
    "requestBody": {
        "required": True,
        "description": "a service package (schemas/service-package.schema.json), as `mpphub publish` takes it",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


async def _bounded_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes ``MAX_PACKAGE_BYTES`` (by its declared
    Content-Length, or while it streams in): an oversized body is never held in memory."""
    too_large = ApiError(413, f"package larger than {MAX_PACKAGE_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PACKAGE_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PACKAGE_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _publish(raw: bytes, doc: dict[str, Any], registry: FilePath) -> Any:
    """Write the body where a team's file would be (the validator checks folder and name), then publish."""
    match = _ID.match(str(doc.get("id", "")))
    region, slug = (match.group(1), match.group(2)) if match else ("unknown", "package")
    if len(slug.encode()) > 200:  # longer than a file name may be: the validator refuses the id itself (422)
        slug = "package"
    with tempfile.TemporaryDirectory(prefix="mpphub-publish-") as folder:
        file = FilePath(folder) / "packages" / region / f"{slug}.json"
        file.parent.mkdir(parents=True)
        file.write_bytes(raw)
        return publish_file(file, registry, extra_check=publish_check())


@router.post(
    "/packages",
    response_model=Published,
    status_code=201,
    responses={
        200: {"model": Published, "description": "this version was already published with identical content"},
        413: {"model": ErrorBody, "description": "package larger than 1 MiB"},
    },
    openapi_extra=_PUBLISH_BODY,
    summary="publish a package version (region teams, their own region)",
)
async def publish(request: Request, caller: Caller, state: State) -> Any:
    """Validate and publish, like `mpphub publish`; the outcome is audited."""
    require_role(caller, "region")
    raw = await _bounded_body(request)
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "the body is not valid JSON") from None
    except RecursionError:
        raise ApiError(422, "the body is nested too deeply to be a service package") from None
    if not isinstance(doc, dict):
        raise ApiError(422, "the body must be a JSON object (a service package)")
    if "template" in doc:
        # a template is shared by many regions: a region token must not publish (or shadow) one
        raise ApiError(
            403, "templates are published by the registry's stewards with `mpphub publish`, not by a region token"
        )
    region = doc.get("region")
    id_region = str(doc.get("id", "")).partition("/")[0]
    if region != caller.region or id_region != caller.region:
        raise ApiError(403, "a region token publishes its own region's packages only (check 'id' and 'region')")
    result = await run_in_threadpool(_publish, raw, doc, state.registry)
    if result.outcome == "refused":
        problems = [{"path": p.path, "message": p.message} for p in result.problems]
        raise ApiError(422, f"package refused: {len(problems)} problem(s); nothing was published", problems)
    seq = None
    if result.outcome == "published":
        seq = await run_in_threadpool(
            state.ledger.append_audit,
            f"token:{caller.name}",
            "publish",
            f"{result.package_id}@{result.version}",
            {"version": result.version, "sha256": result.sha256, "via": "api"},
        )
        state.invalidate()
    from fastapi.responses import JSONResponse

    body = Published(
        service_id=str(result.package_id),
        version=str(result.version),
        outcome=result.outcome,
        sha256=str(result.sha256),
        audit_seq=seq,
    )
    return JSONResponse(body.model_dump(), status_code=201 if result.outcome == "published" else 200)
