"""Walking a paginated list the way a package declares it: page numbers, offsets, cursors, next links."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.errors import FatalError
from connectors.http import json_body
from connectors.mapping import search

Fetch = Callable[[str, dict[str, Any]], requests.Response]  # (url or path, params) -> response
MAX_PAGES = 10_000  # a runaway server (a cursor that never ends) cannot keep a run going forever


def _records(body: Any, records_path: str | None) -> list[dict[str, Any]]:
    found = search(records_path, body) if records_path else body
    if found is None:
        return []
    if not isinstance(found, list):
        raise FatalError(f"records_path {records_path!r} does not point at a list")
    return [r for r in found if isinstance(r, dict)]


def pages(
    fetch: Fetch, path: str, params: dict[str, Any], pagination: dict[str, Any], records_path: str | None, base_url: str
) -> Iterator[list[dict[str, Any]]]:
    """Yield the records of each page in order."""
    style = pagination.get("style", "none")
    size = pagination.get("page_size")
    base = dict(params)
    if size and pagination.get("size_param"):
        base[pagination["size_param"]] = size
    if style == "none":
        yield _records(json_body(fetch(path, base)), records_path)
        return
    if style == "page_number":
        page = int(pagination.get("first_page", 1))
        for _ in range(MAX_PAGES):
            records = _records(json_body(fetch(path, {**base, pagination["page_param"]: page})), records_path)
            yield records
            if not records or (size and len(records) < size):
                return
            page += 1
        return
    if style == "offset":
        offset, limit = 0, size or 100
        for _ in range(MAX_PAGES):
            records = _records(
                json_body(fetch(path, {**base, pagination["offset_param"]: offset, pagination["limit_param"]: limit})),
                records_path,
            )
            yield records
            if len(records) < limit:
                return
            offset += len(records)
        return
    if style == "cursor":
        cursor: Any = None
        for _ in range(MAX_PAGES):
            query = {**base, pagination["cursor_param"]: cursor} if cursor else base
            body = json_body(fetch(path, query))
            yield _records(body, records_path)
            cursor = search(pagination["next_cursor_path"], body)
            if not cursor:
                return
        return
    if style == "next_link":
        target, query = path, base
        origin = urlsplit(base_url)[:2]
        for _ in range(MAX_PAGES):
            response = fetch(target, query)
            body = json_body(response)
            yield _records(body, records_path)
            link = pagination["next_link"]
            following = (
                response.links.get("next", {}).get("url") if link == "header" else search(link["body_path"], body)
            )
            if not following:
                return
            following = requests.compat.urljoin(response.url, following)
            if urlsplit(following)[:2] != origin:  # a hostile server must not steer the hub elsewhere
                raise FatalError(f"next link leaves {origin[1]}: refused")
            target, query = following, {}
        return
    raise FatalError(f"unknown pagination style {style!r}")
