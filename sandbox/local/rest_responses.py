"""What the simulated REST systems answer: records in each family's field names, pages in each family's
pagination style, and the request errors (refusals name fields, never their values)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.local.clock import format_time
from sandbox.local.families import Family
from sandbox.local.paging import Keyed, Listings, by_page_number, by_token
from sandbox.local.store import LocalApplication, StatusChange

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 1000


class Invalid(Exception):
    """A request the local system refuses; the message names fields, never their values."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.extra = extra


class Forbidden(Exception):
    """Valid credentials of a system that does not serve the requested service."""


def application_record(family: Family, application: LocalApplication) -> dict[str, Any]:
    """An application in the family's field names: its body as submitted, plus the system's fields."""
    record = dict(application.body)
    record.update(
        {
            family.reference: application.reference,
            family.national_id: application.national_id,
            family.discriminator: application.service.code,
            family.channel: application.channel,
            family.status: application.status,
            family.created_at: format_time(application.created_at, family.zone),
            family.changed_at: format_time(application.updated_at, family.zone),
        }
    )
    if application.attachments:
        record[family.inline_attachments or family.attachments or "attachments"] = application.attachments
    return record


def change_record(family: Family, change: StatusChange) -> dict[str, Any]:
    """A status change in the family's field names."""
    return {
        family.event_id: change.key,
        family.reference: change.reference,
        family.national_id: change.national_id,
        family.discriminator: change.service.code,
        family.status: change.status,
        family.changed_at: format_time(change.changed_at, family.zone),
        family.note: change.note,
    }


def page_response(
    request: Request, family: Family, listings: Listings, records: list[Any], render: Callable[[Any], dict[str, Any]]
) -> Response:
    """One page of ``records`` as the family paginates: page numbers with ``meta``, a cursor in
    ``meta.next_cursor``, or a ``Link: <...>; rel="next"`` header."""
    query = request.query_params
    size = _positive(query.get(family.size_param), DEFAULT_PAGE_SIZE, family.size_param)
    if size > MAX_PAGE_SIZE:
        raise Invalid(f"{family.size_param} may be at most {MAX_PAGE_SIZE}")
    if family.pagination == "page":
        number = _positive(query.get(family.page_param), 1, family.page_param)
        rest = sorted((k, v) for k, v in query.multi_items() if k != family.page_param)
        page, total = by_page_number(listings, f"{request.url.path}?{rest}", records, number - 1, size, number == 1)
        meta = {family.page_param: number, family.size_param: size, "total_data": total}
        return JSONResponse(
            {family.records_key: _render(page, render), "meta": {**meta, "total_halaman": math.ceil(total / size)}}
        )
    page, following = by_token(listings, records, query.get(family.cursor_param), size)
    if family.pagination == "cursor":
        return JSONResponse(
            {family.records_key: _render(page, render), "meta": {"next_cursor": following, "limit": size}}
        )
    headers = {}
    if following:  # an absolute link on the host the client used, as Link headers usually are
        rest = [(k, v) for k, v in query.multi_items() if k != family.cursor_param]
        link = request.url.replace(query=urlencode([*rest, (family.cursor_param, following)]))
        headers["Link"] = f'<{link}>; rel="next"'
    return JSONResponse({family.records_key: _render(page, render), "count": len(page)}, headers=headers)


def _render(records: Iterable[Keyed], render: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    return [render(record) for record in records]


def _positive(value: str | None, default: int, name: str) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise Invalid(f"{name} must be a whole number from 1")
    return int(value)
