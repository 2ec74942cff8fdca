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


def _count(value: Any) -> int | None:
    """A total read from a body as a whole number (PHP systems often send "12"); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _total_says_done(pagination: dict[str, Any], body: Any, pages_read: int, records_read: int) -> bool | None:
    """Whether the body's totals (``total_pages_path``, ``total_count_path``) say the last page has been
    read; None when the package declares no total or the body holds none readable (the short-page rule
    decides then)."""
    verdicts = []
    if pagination.get("total_pages_path"):
        total_pages = _count(search(pagination["total_pages_path"], body))
        if total_pages is not None:
            verdicts.append(pages_read >= total_pages)
    if pagination.get("total_count_path"):
        total_count = _count(search(pagination["total_count_path"], body))
        if total_count is not None:
            verdicts.append(records_read >= total_count)
    return any(verdicts) if verdicts else None


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
        # the body's total, when declared and readable, says which page is the last (a system that caps
        # its page size below page_size must not be cut short); else the first short or empty page is
        page = int(pagination.get("first_page", 1))
        records_read = 0
        for pages_read in range(1, MAX_PAGES + 1):
            body = json_body(fetch(path, {**base, pagination["page_param"]: page}))
            records = _records(body, records_path)
            yield records
            records_read += len(records)
            done = _total_says_done(pagination, body, pages_read, records_read)
            if not records or done or (done is None and size and len(records) < size):
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
