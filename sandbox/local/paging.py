"""Pagination of the simulated REST systems, and the record-level faults that hit it.

Without faults, pages are cut from the records in ascending order; cursor tokens are keysets ("after
record N"), so a listing survives records arriving between page requests, as real APIs do.

With ``duplicate_rate`` / ``out_of_order_rate`` on, the first page of a listing draws, for every record,
whether it is duplicated (a copy arrives at the start of the next page) and whether it is late (it arrives
at the start of the next page instead of in order). The perturbed listing is kept (a bounded number of
them), so the following pages of the same listing are consistent with it and nothing is lost: the shapes
a connector meets when a local system's data shifts under paging. A cursor token of a forgotten listing
is refused (4xx), as APIs refuse expired cursors.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import uuid
from collections import OrderedDict
from typing import Any, Protocol, TypeVar

from sandbox.faults import FaultState


class Keyed(Protocol):
    """A record with an increasing integer key (event id or creation order)."""

    @property
    def key(self) -> int:
        """The record's key."""
        ...


T = TypeVar("T", bound=Keyed)


class BadToken(ValueError):
    """A cursor token the server did not issue, or one whose listing has been forgotten."""


def encode_token(data: dict[str, Any]) -> str:
    """An opaque, URL-safe token."""
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """The data of a token made by ``encode_token``; BadToken otherwise."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadToken("the cursor is not one this server issued") from None
    if not isinstance(data, dict):
        raise BadToken("the cursor is not one this server issued")
    return data


class Listings:
    """Perturbed listings kept between the pages of one listing (bounded, oldest forgotten first)."""

    def __init__(self, faults: FaultState, keep: int = 128) -> None:
        self.faults = faults
        self.keep = keep
        self._kept: OrderedDict[str, list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def faulty(self) -> bool:
        """True when a record-level fault is switched on."""
        config = self.faults.config
        return bool(config.duplicate_rate or config.out_of_order_rate)

    def perturb(self, records: list[T], page_size: int) -> list[T]:
        """The listing as the faults deliver it: each record drawn once for each record-level fault; a late
        record, or a duplicate's copy, is delivered at the start of the next page."""
        delivered: list[T] = []
        pending: list[tuple[int, T]] = []  # (position it may be delivered from, record), positions ascending

        def next_page_start() -> int:
            return (len(delivered) // page_size + 1) * page_size

        for record in records:
            duplicate = self.faults.draw("duplicate_rate")
            late = self.faults.draw("out_of_order_rate")
            if late:
                pending.append((next_page_start(), record))
            else:
                delivered.append(record)
            if duplicate:
                pending.append((((len(delivered) - 1) // page_size + 1) * page_size, record))
            while pending and pending[0][0] <= len(delivered):
                delivered.append(pending.pop(0)[1])
        delivered.extend(record for _, record in pending)
        return delivered

    def remember(self, records: list[Any], listing_id: str | None = None) -> str:
        """Keep a perturbed listing; returns its id."""
        listing_id = listing_id or uuid.uuid4().hex[:12]
        with self._lock:
            self._kept[listing_id] = records
            self._kept.move_to_end(listing_id)
            while len(self._kept) > self.keep:
                self._kept.popitem(last=False)
        return listing_id

    def recall(self, listing_id: str) -> list[Any] | None:
        """A kept listing, or None if forgotten."""
        with self._lock:
            return self._kept.get(listing_id)


def by_page_number(
    listings: Listings, listing_key: str, records: list[T], page: int, size: int, first: bool
) -> tuple[list[T], int]:
    """Page ``page`` (0-based) of ``records`` and the listing's total. Page numbers carry no state, so a
    perturbed listing is kept under the query that made it (its parameters except the page number)."""
    full: list[T] = records
    if listings.faulty:
        if first:
            full = listings.perturb(records, size)
            listings.remember(full, listing_key)
        else:
            full = listings.recall(listing_key) or records
    return full[page * size : (page + 1) * size], len(full)


def by_token(listings: Listings, records: list[T], token: str | None, size: int) -> tuple[list[T], str | None]:
    """The page after ``token`` (the first page without one) and the token of the next page, if any."""
    data = decode_token(token) if token else {}
    if "listing" in data or (not token and listings.faulty):
        if token:
            kept = listings.recall(str(data["listing"]))
            if kept is None:
                raise BadToken("the cursor has expired: start the listing again")
            full, listing_id, offset = kept, str(data["listing"]), int(data["offset"])
        else:
            full = listings.perturb(records, size)
            listing_id, offset = listings.remember(full), 0
        following = encode_token({"listing": listing_id, "offset": offset + size})
        return full[offset : offset + size], following if offset + size < len(full) else None
    after = data.get("after")
    if token and not isinstance(after, int):
        raise BadToken("the cursor is not one this server issued")
    remaining = [r for r in records if after is None or r.key > after]
    page = remaining[:size]
    return page, encode_token({"after": page[-1].key}) if len(remaining) > size else None
