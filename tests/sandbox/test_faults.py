"""Each fault knob happens at its configured rate, deterministically under a seed, on a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.faults import FaultConfig, FaultInjector, FaultState
from sandbox.serve import RunningServer, serve_in_thread

N = 400


class Echo:
    """A tiny app that counts the requests it really processed."""

    def __init__(self) -> None:
        self.processed = 0

    async def handle(self, request: Request) -> JSONResponse:
        self.processed += 1
        return JSONResponse({"data": [{"id": i, "nama": "Siti"} for i in range(5)]})


@pytest.fixture
def server() -> Iterator[tuple[RunningServer, FaultState, Echo]]:
    echo = Echo()
    state = FaultState()
    app = FaultInjector(Starlette(routes=[Route("/items", echo.handle, methods=["GET", "POST"])]), state)
    running = serve_in_thread(app)
    yield running, state, echo
    running.stop()


def _configure(url: str, **knobs: Any) -> None:
    response = requests.put(f"{url}/_sandbox/faults", json=knobs, timeout=5)
    assert response.status_code == 200, response.text


def _statuses(url: str, n: int = N) -> list[int]:
    with requests.Session() as session:
        return [session.get(f"{url}/items", timeout=5).status_code for _ in range(n)]


@pytest.mark.parametrize(("knob", "expected_statuses"), [("error_rate", {500, 502, 503}), ("throttle_rate", {429})])
def test_status_faults_happen_at_their_rate(knob: str, expected_statuses: set[int], server: Any) -> None:
    running, state, echo = server
    _configure(running.url, seed=7, **{knob: 0.3})
    statuses = _statuses(running.url)
    faulted = [s for s in statuses if s != 200]
    assert set(faulted) <= expected_statuses
    assert abs(len(faulted) / N - 0.3) < 0.08
    assert state.snapshot()["counters"][knob.removesuffix("_rate")] == len(faulted)
    assert echo.processed == N - len(faulted)  # refused before processing


def test_throttle_sends_retry_after(server: Any) -> None:
    running, _, _ = server
    _configure(running.url, throttle_rate=1.0, retry_after_seconds=7)
    response = requests.get(f"{running.url}/items", timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["Content-Type"] == "application/problem+json"


def test_same_seed_same_faults(server: Any) -> None:
    running, _, _ = server
    _configure(running.url, seed=42, error_rate=0.2, throttle_rate=0.1)
    first = _statuses(running.url, 200)
    _configure(running.url, seed=42, error_rate=0.2, throttle_rate=0.1)
    assert _statuses(running.url, 200) == first
    _configure(running.url, seed=43, error_rate=0.2, throttle_rate=0.1)
    assert _statuses(running.url, 200) != first


@pytest.mark.parametrize("knob", ["truncate_rate", "malformed_rate"])
def test_body_faults_break_the_json(knob: str, server: Any) -> None:
    running, state, _ = server
    _configure(running.url, seed=3, **{knob: 0.25})
    broken = 0
    with requests.Session() as session:
        for _ in range(N):
            response = session.get(f"{running.url}/items", timeout=5)
            assert response.status_code == 200
            try:
                json.loads(response.content)
            except ValueError:
                broken += 1
    assert abs(broken / N - 0.25) < 0.08
    assert state.snapshot()["counters"][knob.removesuffix("_rate")] == broken


def test_hang_processes_the_request_then_times_the_client_out(server: Any) -> None:
    running, _, echo = server
    _configure(running.url, hang_rate=1.0, hang_seconds=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{running.url}/items", json={}, timeout=0.3)
    assert echo.processed == 1  # the write happened although the client never heard of it


def test_latency_is_added(server: Any) -> None:
    running, _, _ = server
    _configure(running.url, latency_ms=150)
    response = requests.get(f"{running.url}/items", timeout=5)
    assert response.elapsed.total_seconds() >= 0.15


def test_down_then_back(server: Any) -> None:
    running, state, _ = server
    requests.post(f"{running.url}/_sandbox/faults/down", json={"seconds": 0.5}, timeout=5)
    assert requests.get(f"{running.url}/items", timeout=5).status_code == 503
    assert state.snapshot()["down"] is True
    import time

    time.sleep(0.6)
    assert requests.get(f"{running.url}/items", timeout=5).status_code == 200


def test_record_level_draws_are_counted() -> None:
    state = FaultState(FaultConfig(seed=1, duplicate_rate=0.5))
    hits = sum(state.draw("duplicate_rate") for _ in range(1000))
    assert abs(hits / 1000 - 0.5) < 0.06
    assert state.counters["duplicate"] == hits


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"error_rat": 0.1}, "unknown fault knobs: error_rat"),
        ({"error_rate": 1.5}, "error_rate must be between 0 and 1"),
    ],
)
def test_bad_control_input_is_refused(knobs: dict[str, Any], message: str, server: Any) -> None:
    running, _, _ = server
    response = requests.put(f"{running.url}/_sandbox/faults", json=knobs, timeout=5)
    assert response.status_code == 400
    assert message in response.json()["detail"]
