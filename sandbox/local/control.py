"""The ``/_sandbox/`` control endpoints of the simulated REST systems (never faulted by ``FaultInjector``).

- ``GET  /_sandbox/truth`` — what the system holds: applications, status changes, submissions per
  national id (created and received: exactly-once checks), idempotent replays, walk-ins;
- ``POST /_sandbox/officers/step`` ``{"n": 1, "package_id": null}`` — ``n`` officers' rounds;
- ``POST /_sandbox/officers/walk-ins`` ``{"n": 1, "package_id": null}`` — ``n`` walk-ins per walk-in service;
- ``PUT  /_sandbox/officers/pace`` ``{"interval_s": 0.5}`` — a round every interval (``null`` stops it).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.http import problem
from sandbox.local.pace import Pace
from sandbox.local.store import LocalStore, change_truth


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _count(data: dict[str, Any]) -> int:
    n = data.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10_000:
        raise ValueError("n must be a whole number from 1 to 10000")
    return n


def control_routes(store: LocalStore, pace: Pace) -> list[Route]:
    """The control endpoints over ``store`` and ``pace``."""

    async def truth(request: Request) -> Response:
        return JSONResponse({**store.truth(), "pace_interval_s": pace.interval_s})

    async def step(request: Request) -> Response:
        try:
            data = await _json(request)
            changes = store.officers_step(_count(data), data.get("package_id"))
        except ValueError as exc:
            return problem(400, "Bad control request", str(exc))
        return JSONResponse({"count": len(changes), "changes": [change_truth(c) for c in changes]})

    async def walk_ins(request: Request) -> Response:
        try:
            data = await _json(request)
            created = store.create_walk_ins(_count(data), data.get("package_id"))
        except ValueError as exc:
            return problem(400, "Bad control request", str(exc))
        return JSONResponse({"count": len(created), "references": [a.reference for a in created]})

    async def set_pace(request: Request) -> Response:
        try:
            interval = (await _json(request)).get("interval_s")
            if interval is None:
                pace.stop()
            else:
                pace.start(float(interval))
        except (ValueError, TypeError) as exc:
            return problem(400, "Bad control request", str(exc))
        return JSONResponse({"interval_s": pace.interval_s})

    return [
        Route("/_sandbox/truth", truth, methods=["GET"]),
        Route("/_sandbox/officers/step", step, methods=["POST"]),
        Route("/_sandbox/officers/walk-ins", walk_ins, methods=["POST"]),
        Route("/_sandbox/officers/pace", set_pace, methods=["PUT"]),
    ]
