"""Status events: per-event results, partial success, the national transition graph, sequence order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import product
from typing import Any

import pytest

from tests.sandbox.fixtures_national import NationalServer, status_event

# DESIGN.md: submitted -> received -> verifying -> (needs_revision <-> verifying) -> processing ->
# approved | rejected; cancelled from any non-terminal; approved, rejected, cancelled are terminal.
LEGAL = {
    ("submitted", "received"),
    ("received", "verifying"),
    ("verifying", "needs_revision"),
    ("needs_revision", "verifying"),
    ("verifying", "processing"),
    ("processing", "approved"),
    ("processing", "rejected"),
    *((s, "cancelled") for s in ("submitted", "received", "verifying", "needs_revision", "processing")),
}
STATUSES = ["submitted", "received", "verifying", "needs_revision", "processing", "approved", "rejected", "cancelled"]
PATH_TO = {  # how to reach each status from submitted
    "submitted": [],
    "received": ["received"],
    "verifying": ["received", "verifying"],
    "needs_revision": ["received", "verifying", "needs_revision"],
    "processing": ["received", "verifying", "processing"],
    "approved": ["received", "verifying", "processing", "approved"],
    "rejected": ["received", "verifying", "processing", "rejected"],
    "cancelled": ["cancelled"],
}


def _push(server: NationalServer, *events: dict[str, Any]) -> dict[str, Any]:
    response = server.post("/status-events", json={"events": list(events)})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_batch_partly_succeeds_with_a_result_per_event(national_server: NationalServer) -> None:
    a, b = national_server.apply(n=2)
    result = _push(
        national_server,
        status_event(a, 1, "received"),
        status_event("MPP-unknown", 1, "received"),
        status_event(b, 1, "verifying"),
        status_event(b, 1, "received", event_id="b-1"),
        status_event(a, 2, "verifying", note="berkas lengkap"),
        status_event(a, 3, "dikirim"),
        status_event(b, 5, "verifying", event_id="b-5"),
        status_event(a, 1, "received"),
    )
    assert [(r["result"], r.get("reason")) for r in result["results"]] == [
        ("accepted", None),
        ("rejected", "unknown_application"),
        ("rejected", "illegal_transition"),
        ("accepted", None),
        ("accepted", None),
        ("rejected", "unknown_status"),
        ("rejected", "out_of_sequence"),
        ("duplicate", None),
    ]
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (3, 1, 4)
    gap = result["results"][6]
    assert gap["expected_sequence"] == 2 and "gap" in gap["detail"]
    truth = national_server.truth()
    assert {x["id"]: x["status"] for x in truth["applications"]} == {a: "verifying", b: "received"}
    assert [r["reason"] for r in truth["rejections"]] == [
        "unknown_application",
        "illegal_transition",
        "unknown_status",
        "out_of_sequence",
    ]
    assert truth["counters"]["events_accepted"] == 3


@pytest.mark.parametrize(("current", "new"), list(product(STATUSES, STATUSES)))
def test_transitions_follow_the_national_graph(national_module_server: NationalServer, current: str, new: str) -> None:
    server = national_module_server
    (app,) = server.apply(seed=1000 + 10 * STATUSES.index(current) + STATUSES.index(new))  # a new id per case
    steps = PATH_TO[current]
    if steps:
        reached = _push(server, *(status_event(app, i + 1, s) for i, s in enumerate(steps)))
        assert reached["accepted"] == len(steps)
    (result,) = _push(server, status_event(app, len(steps) + 1, new))["results"]
    if (current, new) in LEGAL:
        assert (result["result"], result["application_status"]) == ("accepted", new)
    else:
        assert (result["result"], result["reason"], result["application_status"]) == (
            "rejected",
            "illegal_transition",
            current,
        )
        if current in ("approved", "rejected", "cancelled"):
            assert "terminal" in result["detail"]


def test_sequence_order_is_enforced_and_a_rejected_event_can_come_again(national_server: NationalServer) -> None:
    (app,) = national_server.apply()
    early = _push(national_server, status_event(app, 2, "verifying"))["results"][0]
    assert (early["reason"], early["expected_sequence"]) == ("out_of_sequence", 1)
    assert _push(national_server, status_event(app, 1, "received"))["accepted"] == 1
    assert _push(national_server, status_event(app, 2, "verifying"))["accepted"] == 1  # the same event, now in order
    replay = _push(national_server, status_event(app, 1, "cancelled", event_id="other"))["results"][0]
    assert (replay["reason"], replay["expected_sequence"]) == ("out_of_sequence", 3)
    assert "already used" in replay["detail"]
    history = national_server.get(f"/applications/{app}").json()["history"]
    assert [(h["sequence"], h["status"]) for h in history] == [(0, "submitted"), (1, "received"), (2, "verifying")]


def test_an_event_id_reused_with_other_content_is_refused(national_server: NationalServer) -> None:
    (app,) = national_server.apply()
    _push(national_server, status_event(app, 1, "received", event_id="e"))
    (result,) = _push(national_server, status_event(app, 2, "verifying", event_id="e"))["results"]
    assert (result["result"], result["reason"]) == ("rejected", "event_id_conflict")


def test_revision_loop_then_decision(national_server: NationalServer) -> None:
    (app,) = national_server.apply()
    path = [
        "received",
        "verifying",
        "needs_revision",
        "verifying",
        "needs_revision",
        "verifying",
        "processing",
        "approved",
    ]
    assert _push(national_server, *(status_event(app, i + 1, s) for i, s in enumerate(path)))["accepted"] == len(path)
    detail = national_server.get(f"/applications/{app}").json()
    assert detail["application"]["status"] == "approved"
    assert [h["sequence"] for h in detail["history"]] == list(range(len(path) + 1))


@pytest.mark.parametrize(
    ("ahead", "accepted"),
    [(timedelta(minutes=2), True), (timedelta(hours=7), False), (timedelta(hours=2), False)],
    ids=["clock-drift-ok", "wib-read-as-utc", "wit-read-as-wita-plus"],
)
def test_a_status_event_dated_in_the_future_is_refused(
    national_server: NationalServer, ahead: timedelta, accepted: bool
) -> None:
    """A time read in the wrong zone lands hours ahead: the national layer refuses it (issue 18 item 4)."""
    (app,) = national_server.apply()
    when = (datetime.now(UTC) + ahead).astimezone(timezone(timedelta(hours=7))).isoformat()
    (result,) = _push(national_server, status_event(app, 1, "received", changed_at=when))["results"]
    if accepted:
        assert result["result"] == "accepted", result
        return
    assert (result["result"], result["reason"]) == ("rejected", "future_dated"), result
    assert "ahead of the national clock" in result["detail"]
    history = national_server.get(f"/applications/{app}").json()["history"]
    assert [h["status"] for h in history] == ["submitted"]  # nothing changed
