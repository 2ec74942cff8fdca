"""Durability across restarts (thread and process servers) and correctness under concurrent requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.sandbox.fixtures_national import NationalServer, status_event
from tests.sandbox.test_national_idempotency import walk_in


def _write_some(server: NationalServer) -> list[str]:
    ids = server.apply(n=3)
    server.put(f"/applications/{ids[0]}/acknowledgement", json={"local_reference": "AL-1"})
    server.post("/status-events", json={"events": [status_event(ids[0], 1, "received")]})
    server.post("/walk-ins", json=walk_in("AL-7"), headers={"Idempotency-Key": "k7"})
    return ids


def _without_counters(truth: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in truth.items() if k != "counters"}


def test_data_survives_a_restart_in_process(start_national: Any) -> None:
    first = start_national(in_process=True)
    ids = _write_some(first)
    before = first.truth()
    first.stop()
    second = start_national(db_path=first.db_path, in_process=True)
    after = second.truth()
    assert after == before
    assert second.get(f"/applications/{ids[0]}").json()["acknowledgement"]["local_reference"] == "AL-1"
    # idempotency keys and sequences survived too
    again = second.post("/walk-ins", json=walk_in("AL-7"), headers={"Idempotency-Key": "k7"})
    assert again.status_code == 200
    late = second.post("/status-events", json={"events": [status_event(ids[0], 1, "received")]}).json()
    assert late["results"][0]["result"] == "duplicate"


def test_data_survives_a_restart_in_thread(start_national: Any) -> None:
    first = start_national()
    _write_some(first)
    before = first.truth()
    first.stop()
    second = start_national(db_path=first.db_path)
    assert _without_counters(second.truth()) == _without_counters(before)


def test_concurrent_writes_are_all_applied_exactly_once(national_server: NationalServer) -> None:
    apps = national_server.apply(n=12)
    path = ["received", "verifying", "processing", "approved"]

    def drive(app: str) -> list[str]:
        results = []
        for seq, status in enumerate(path, start=1):
            for _ in range(2):  # every event sent twice, as a retrying hub would
                body = {"events": [status_event(app, seq, status)]}
                results.append(national_server.post("/status-events", json=body).json()["results"][0]["result"])
        return results

    def register(i: int) -> int:
        key = f"k{i % 5}"  # five registrations, each sent from several threads
        response = national_server.post("/walk-ins", json=walk_in(f"AL-{i % 5}"), headers={"Idempotency-Key": key})
        return response.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        event_results = list(pool.map(drive, apps))
        walk_in_statuses = list(pool.map(register, range(25)))
    assert all(r == ["accepted", "duplicate"] * len(path) for r in event_results)
    assert sorted(walk_in_statuses) == [200] * 20 + [201] * 5
    truth = national_server.truth()
    assert {a["status"] for a in truth["applications"] if a["origin"] == "citizen"} == {"approved"}
    assert len(truth["walk_ins"]) == 5 and sum(w["received_count"] for w in truth["walk_ins"]) == 25
    assert truth["counters"]["events_accepted"] == truth["counters"]["events_duplicate"] == len(apps) * len(path)
