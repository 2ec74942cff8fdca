"""Page numbers with the total in the body (issue 18, item 6): ``total_pages_path`` / ``total_count_path``
of the ``page_number`` style decide where the list ends; the short-page rule decides only without them.
Request shaping with `responses` (nothing leaves the process; the base URL is loopback)."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets

BASE = "http://127.0.0.1:9/api/v1"
FEED_URL = f"{BASE}/permohonan/perubahan-status"
SECRETS = StaticSecrets({"R3576_DISPENDUK_TOKEN": "tkn-1"})


def _serve(pages: dict[int, list[int]], meta: dict[Any, Any]) -> list[int]:
    """Serve ``pages`` (page number -> record ids) with ``meta`` in every body (or ``meta[page]``, when
    keyed by page); any other page is a 500, so a reader that does not stop where the total says fails.
    Returns the page numbers asked for, in order."""
    asked: list[int] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        page = int(parse_qs(urlsplit(str(request.url)).query)["halaman"][0])
        asked.append(page)
        if page not in pages:
            return 500, {}, "{}"
        page_meta = meta.get(page, {}) if all(isinstance(k, int) for k in meta) and meta else meta
        return 200, {}, json.dumps({"data": [{"id_riwayat": i} for i in pages[page]], "meta": page_meta})

    responses.add_callback(responses.GET, FEED_URL, callback=answer, content_type="application/json")
    return asked


def _read(good_doc: dict[str, Any], **pagination: Any) -> list[int]:
    doc = copy.deepcopy(good_doc)
    doc["local_system"]["operations"]["status_changes"]["pagination"].update(pagination)
    connector = RestConnector(doc, SECRETS, base_url=BASE)
    return [r["id_riwayat"] for page in connector._pages("status_changes", None) for r in page]


@responses.activate
def test_total_pages_stops_after_the_last_page_even_when_it_is_full(good_doc: dict[str, Any]) -> None:
    asked = _serve({1: [1, 2], 2: [3, 4], 3: [5, 6]}, {"last_page": 3})
    assert _read(good_doc, page_size=2, total_pages_path="meta.last_page") == [1, 2, 3, 4, 5, 6]
    assert asked == [1, 2, 3]  # no fourth request


@responses.activate
def test_total_pages_keeps_reading_when_the_system_caps_its_page_size(good_doc: dict[str, Any]) -> None:
    # asked for 100 a page, the system gives 2: the short-page rule alone would stop after page 1
    asked = _serve({1: [1, 2], 2: [3, 4], 3: [5]}, {"last_page": "3"})  # PHP sends numbers as text too
    assert _read(good_doc, page_size=100, total_pages_path="meta.last_page") == [1, 2, 3, 4, 5]
    assert asked == [1, 2, 3]


@responses.activate
def test_total_count_stops_once_that_many_records_are_read(good_doc: dict[str, Any]) -> None:
    asked = _serve({0: [1, 2], 1: [3, 4]}, {"total": 4})
    assert _read(good_doc, page_size=2, first_page=0, total_count_path="meta.total") == [1, 2, 3, 4]
    assert asked == [0, 1]


@responses.activate
def test_a_total_of_zero_reads_one_page(good_doc: dict[str, Any]) -> None:
    asked = _serve({1: [1, 2]}, {"last_page": 0, "total": 0})
    assert _read(good_doc, page_size=2, total_pages_path="meta.last_page", total_count_path="meta.total") == [1, 2]
    assert asked == [1]


@pytest.mark.parametrize("unreadable", [{}, {"last_page": None}, {"last_page": "banyak"}, {"last_page": True}])
@responses.activate
def test_a_page_without_a_readable_total_falls_back_to_the_short_page_rule(
    good_doc: dict[str, Any], unreadable: dict[str, Any]
) -> None:
    # page 1 is short but its total says 3 pages: read on; page 2 is short and says nothing readable: stop
    asked = _serve({1: [1], 2: [2]}, {1: {"last_page": 3}, 2: unreadable})
    assert _read(good_doc, page_size=2, total_pages_path="meta.last_page") == [1, 2]
    assert asked == [1, 2]
