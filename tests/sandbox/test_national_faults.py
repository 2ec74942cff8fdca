"""Smoke test: every fault knob works on the national layer (the knobs themselves: tests/sandbox/test_faults.py)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.sandbox.fixtures_national import NationalServer, status_event


def test_every_fault_knob_works_on_the_national_layer(national_server: NationalServer) -> None:
    server = national_server
    ids = server.apply(n=6)

    server.faults(error_rate=1.0)
    assert server.get("/catalogue").status_code in (500, 502, 503)
    assert len(server.truth()["applications"]) == 6  # the truth is never faulted

    server.faults(throttle_rate=1.0, retry_after_seconds=3)
    throttled = server.get("/catalogue")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "3")

    server.faults(latency_ms=120)
    assert server.get("/catalogue", params={"limit": 1}).elapsed.total_seconds() >= 0.12

    server.faults(hang_rate=1.0, hang_seconds=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        server.post("/status-events", json={"events": [status_event(ids[0], 1, "received")]}, timeout=0.3)
    assert server.truth()["counters"]["events_accepted"] == 1  # processed although the client timed out

    for knob in ("truncate_rate", "malformed_rate"):
        server.faults(**{knob: 1.0})
        with pytest.raises(ValueError):
            json.loads(server.get("/catalogue").content)

    server.faults(seed=1, duplicate_rate=1.0)
    items = server.get("/regions/35.76/applications").json()["items"]
    assert len(items) == 2 * len(ids) and len({i["application"]["id"] for i in items}) == len(ids)

    server.faults(seed=1, out_of_order_rate=1.0)
    shuffled = [i["application"]["id"] for i in server.get("/regions/35.76/applications").json()["items"]]
    assert sorted(shuffled) == sorted(ids) and shuffled != ids

    server.faults(down_for_seconds=0.4)
    assert server.get("/catalogue").status_code == 503
    time.sleep(0.5)
    server.faults()
    assert server.get("/catalogue").status_code == 200
    counters = requests.get(f"{server.url}/_sandbox/faults", timeout=5).json()["counters"]
    assert counters["requests"] == 1


def test_faults_can_be_configured_at_creation(start_national: object) -> None:
    server = start_national(fault_config={"error_rate": 1.0})  # type: ignore[operator]
    assert server.get("/catalogue").status_code in (500, 502, 503)
