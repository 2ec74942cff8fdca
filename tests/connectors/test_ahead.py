"""``read_ahead``: same items in the same order, errors raised where they happened, early stops clean."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from connectors.ahead import read_ahead
from connectors.errors import RetriableError


def test_yields_every_item_in_order() -> None:
    assert list(read_ahead(iter(range(50)), depth=2)) == list(range(50))
    assert list(read_ahead(iter([]))) == []


def test_an_error_is_raised_after_the_items_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise RetriableError("GET /feed: HTTP 503")

    seen = []
    with pytest.raises(RetriableError, match="503"):
        for page in read_ahead(pages()):
            seen.append(page)
    assert seen == [1, 2]


def test_stopping_early_stops_the_worker_after_at_most_depth_more_items() -> None:
    produced = []

    def pages() -> Iterator[int]:
        for i in range(1000):
            produced.append(i)
            yield i

    before = threading.active_count()
    for page in read_ahead(pages(), depth=1):
        if page == 3:
            break
    assert len(produced) <= 3 + 1 + 2  # the one being consumed, the one queued, the one being put
    assert threading.active_count() == before
