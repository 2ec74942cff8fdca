"""Helpers for the issue-16 attack drills (tests/drills/test_attack_*.py).

- ``hostile_local``: a loopback ``Trap`` that plays one region's local system and answers its status feed
  with hostile records (every other path: an empty list), so one service of a real world carries them;
- ``aim_service_at``: make one service of a ``World`` talk to such a trap (the others keep their sandbox);
- ``sync_runs``: the ledger's run records (outcome and error per service and flow);
- ``no_dialling``: a stub resolver and connector that fail the test if anything tries to reach a
  non-loopback address (a refusal must happen before dialling).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from connectors.ledger.models import SyncRun
from connectors.ledger.store import Ledger
from tests.drills.traps import Answer
from tests.drills.world import World


def feed_answer(
    records: list[str], feed_path: str, page_param: str = "halaman", submit_reference: str | None = None
) -> Answer:
    """Answer ``records`` (raw JSON text each, so 1e300 stays a number) on page 1 of the status feed at
    ``feed_path``; with ``submit_reference``, a POST (a delivered application) gets that local reference
    (``data.nomor_registrasi``); an empty ``data`` list on every other page and path."""

    def answer(handler: Any) -> None:
        split = urlsplit(handler.path)
        first = parse_qs(split.query).get(page_param, ["1"])[0] == "1"
        if split.path.endswith(feed_path) and first:
            body = ('{"data": [' + ", ".join(records) + "]}").encode()
        elif handler.command == "POST" and submit_reference is not None:
            body = json.dumps({"data": {"nomor_registrasi": submit_reference}}).encode()
        else:
            body = b'{"data": []}'
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def aim_service_at(world: World, service_id: str, base_url: str) -> None:
    """From now on, ``service_id``'s connector talks to ``base_url`` (a trap) instead of its sandbox."""
    original = world.ctx.connector_factory

    def factory(package: dict[str, Any]) -> Any:
        if package["id"] == service_id:
            package = json.loads(json.dumps(package))
            package["local_system"]["base_url"] = base_url
        return original(package)

    world.ctx.connector_factory = factory
    for key in [k for k in world.ctx._connectors if k[0] == service_id]:
        del world.ctx._connectors[key]


def sync_runs(ledger: Ledger, service_id: str | None = None) -> list[dict[str, Any]]:
    """Every run record (oldest first), optionally of one service."""
    query = select(SyncRun).order_by(SyncRun.id)
    if service_id is not None:
        query = query.where(SyncRun.service_id == service_id)
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _is_loopback(host: Any) -> bool:
    text = str(host).strip("[]")
    return text in LOOPBACK or text.startswith("127.")


@contextmanager
def no_dialling(monkeypatch: pytest.MonkeyPatch, allow_loopback: bool = True) -> Iterator[list[str]]:
    """While active, resolving or connecting to any non-loopback host (with ``allow_loopback=False``: any
    host at all) fails the test, and is recorded in the yielded list in case the code under test swallows
    the failure."""
    attempts: list[str] = []
    real_getaddrinfo, real_create_connection = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not (allow_loopback and _is_loopback(host)):
            attempts.append(f"getaddrinfo {host}")
            pytest.fail(f"resolved {host!r}: a refused host must be refused before any lookup")
        return real_getaddrinfo(host, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if not (allow_loopback and _is_loopback(address[0])):
            attempts.append(f"connect {address}")
            pytest.fail(f"dialled {address!r}: a refused host must be refused before connecting")
        return real_create_connection(address, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(socket, "create_connection", create_connection)
        yield attempts
