"""Fault knobs for every sandbox HTTP server: an ASGI middleware, deterministic under a seed.

Request-level faults (applied in this order, each drawn once per request from one seeded RNG, so a
given request sequence always meets the same faults):

- ``down``: for ``down_for_seconds`` after it is switched on, every request gets 503 (then back);
- ``latency_ms``: added to every response;
- ``error_rate``: 500, 502 or 503 before the request is processed (nothing happened);
- ``throttle_rate``: 429 with ``Retry-After`` before the request is processed;
- ``hang_rate``: the request IS processed, then the answer is held for ``hang_seconds`` (longer than a
  client's timeout): the client cannot know whether its write happened — the idempotency test;
- ``truncate_rate`` / ``malformed_rate``: the response body is cut short / replaced by invalid JSON.

Record-level faults (``duplicate_rate``, ``out_of_order_rate``) are drawn by list endpoints through
``FaultState.draw``. Counters of every injected fault are kept for tests to compare with the rates.

Control (never faulted): ``GET /_sandbox/faults`` (config and counters), ``PUT /_sandbox/faults``
(replace the config; the RNG restarts from its seed), ``POST /_sandbox/faults/down`` ``{"seconds": N}``.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox/"
_RATES = (
    "error_rate",
    "throttle_rate",
    "hang_rate",
    "truncate_rate",
    "malformed_rate",
    "duplicate_rate",
    "out_of_order_rate",
)


@dataclass
class FaultConfig:
    """The knobs; all off by default."""

    seed: int = 0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after_seconds: int = 1
    latency_ms: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    truncate_rate: float = 0.0
    malformed_rate: float = 0.0
    duplicate_rate: float = 0.0
    out_of_order_rate: float = 0.0
    down_for_seconds: float = 0.0

    def __post_init__(self) -> None:
        for name in _RATES:
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
        for name in ("latency_ms", "hang_seconds", "down_for_seconds", "retry_after_seconds"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must not be negative")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        """Build from JSON; unknown knobs are an error (a typo must not silently disable a fault)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault knobs: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**data)


class FaultState:
    """The live knobs of one server, its seeded RNG and its counters (thread-safe)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.counters: Counter[str] = Counter()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the knobs; the RNG restarts from the seed and the counters from zero."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)  # noqa: S311 - reproducible faults, not cryptography
            self.counters.clear()
            self.down_until = time.monotonic() + config.down_for_seconds if config.down_for_seconds else 0.0

    def go_down(self, seconds: float) -> None:
        """Answer 503 to everything for ``seconds``."""
        with self._lock:
            self.down_until = time.monotonic() + seconds

    def draw(self, knob: str) -> bool:
        """One seeded draw against the rate ``knob`` (e.g. ``duplicate_rate``); counts a hit."""
        with self._lock:
            hit: bool = self._rng.random() < float(getattr(self.config, knob))
            if hit:
                self.counters[knob.removesuffix("_rate")] += 1
            return hit

    def choice(self, options: list[Any]) -> Any:
        """A seeded choice (e.g. which 5xx status)."""
        with self._lock:
            return self._rng.choice(options)

    def is_down(self) -> bool:
        """True while a 'down' period lasts."""
        return time.monotonic() < self.down_until

    def snapshot(self) -> dict[str, Any]:
        """Config and counters, as JSON."""
        with self._lock:
            return {"config": asdict(self.config), "counters": dict(self.counters), "down": self.is_down()}


async def _send_json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    content_type = b"application/problem+json" if status >= 400 else b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class FaultInjector:
    """ASGI middleware that applies a ``FaultState`` to every request outside ``/_sandbox/``."""

    def __init__(self, app: ASGIApp, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route control requests, pass ``/_sandbox/`` through untouched, fault the rest."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX + "faults"):
            await self._control(scope, receive, send)
            return
        if path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        await self._faulty(scope, receive, send)

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"].rstrip("/")
        try:
            if method == "GET" and path == "/_sandbox/faults":
                await _send_json(send, 200, self.state.snapshot())
            elif method == "PUT" and path == "/_sandbox/faults":
                self.state.configure(FaultConfig.from_dict(json.loads(await _read_body(receive) or b"{}")))
                await _send_json(send, 200, self.state.snapshot())
            elif method == "POST" and path == "/_sandbox/faults/down":
                seconds = float(json.loads(await _read_body(receive) or b"{}").get("seconds", 0))
                self.state.go_down(seconds)
                await _send_json(send, 200, self.state.snapshot())
            else:
                await _send_json(send, 404, _problem(404, "Not Found", f"no control endpoint {method} {path}"))
        except (ValueError, TypeError, AttributeError) as exc:
            await _send_json(send, 400, _problem(400, "Bad fault configuration", str(exc)))

    async def _faulty(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        config = state.config
        state.counters["requests"] += 1
        # one draw per knob for every request, so decisions depend only on the seed and request order
        error, throttle, hang = state.draw("error_rate"), state.draw("throttle_rate"), state.draw("hang_rate")
        truncate, malformed = state.draw("truncate_rate"), state.draw("malformed_rate")
        if state.is_down():
            state.counters["down"] += 1
            await _send_json(
                send, 503, _problem(503, "Service Unavailable", "the system is down"), [(b"connection", b"close")]
            )
            return
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if error:
            status = state.choice([500, 502, 503])
            await _send_json(send, status, _problem(status, "Injected error", "sandbox fault: error_rate"))
            return
        if throttle:
            retry = str(config.retry_after_seconds).encode()
            await _send_json(
                send, 429, _problem(429, "Too Many Requests", "sandbox fault: throttle_rate"), [(b"retry-after", retry)]
            )
            return
        if not (hang or truncate or malformed):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body_parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body_parts.append(message.get("body", b""))

        await self.app(scope, receive, capture)  # the request is processed in full
        body = b"".join(body_parts)
        if hang:
            await asyncio.sleep(config.hang_seconds)
        if malformed:
            body = b'{"data": [{"id": ' + body[:20].replace(b'"', b"'") + b" <<not json>>"
        elif truncate:
            body = body[: max(1, len(body) // 2)]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start.get("status", 500), "headers": headers})
        await send({"type": "http.response.body", "body": body})
