"""The "stuck" definition (hub/health/stuck.py) on both databases, how health reports it, the API's view of
it, and the retry budget for a system that keeps answering the same unusable answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from connectors.errors import BusyAnswer, LostReply, NotSent, UnusableAnswer
from connectors.ledger.models import Application, StatusEvent
from connectors.ledger.store import Ledger, NewApplication
from connectors.sync.backoff import RetryPolicy, answered_again
from hub.health.report import build_report
from hub.health.stuck import STUCK_ATTEMPTS, stuck_services
from registry.index import load_index
from tests.hub.conftest import copy_registry, make_api

SERVICE = "35.76/akta-kelahiran"
OTHER = "35.76/izin-reklame"
NIK = "3576014403910003"
REFUSAL = f"POST /permohonan: HTTP 503: NIK {NIK} sedang diproses"


def _apps(ledger: Ledger, service: str, n: int) -> list[str]:
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    items = [
        NewApplication(
            national_id=f"{service.rpartition('/')[2]}-{i}",
            service_id=service,
            region=service.partition("/")[0],
            package_version="1.0.0",
            submitted_at=start + timedelta(minutes=i),
            payload={"application": {}, "form": {}},
        )
        for i in range(n)
    ]
    ledger.store_new_applications(service.partition("/")[0], service, items, None, "c1")
    return [item.national_id for item in items]


def _fail(ledger: Ledger, national_id: str, times: int, error: str = REFUSAL) -> None:
    """``times`` delivery attempts of one application, each refused the way the sync records it."""
    for _ in range(times):
        assert ledger.mark_sending(national_id) is not None
        ledger.schedule_retry(national_id, error, datetime.now(UTC), outcome_unknown=False)


@pytest.fixture
def db(hub_ledger_url: str) -> Iterator[Ledger]:
    ledger = Ledger.open(hub_ledger_url)
    yield ledger
    ledger.close()


def test_a_head_tried_three_times_is_stuck_and_two_is_not(db: Ledger) -> None:
    ids = _apps(db, SERVICE, 3)
    _fail(db, ids[0], STUCK_ATTEMPTS - 1)
    assert stuck_services(db.engine) == {}  # two failures: a blip or a restart, not yet stuck
    _fail(db, ids[0], 1)
    found = stuck_services(db.engine)
    assert list(found) == [SERVICE]
    stuck = found[SERVICE]
    assert (stuck.flow, stuck.item, stuck.attempts) == ("outbound", ids[0], STUCK_ATTEMPTS)
    assert NIK not in stuck.reason and "3576************" in stuck.reason  # masked
    assert f"application {ids[0]} holds the delivery queue after 3 attempts: POST /permohonan: HTTP 503" in (
        stuck.reason
    )
    assert stuck_services(db.engine, service_ids=[OTHER]) == {}
    assert list(stuck_services(db.engine, region="35.76")) == [SERVICE]


def test_only_the_head_counts_and_delivery_clears_it(db: Ledger) -> None:
    ids = _apps(db, SERVICE, 2)
    _fail(db, ids[1], 5)  # an item behind the head (e.g. replayed) failing does not hold the queue
    assert stuck_services(db.engine) == {}
    _fail(db, ids[0], 3)
    assert stuck_services(db.engine)[SERVICE].item == ids[0]
    assert db.mark_sending(ids[0]) is not None
    db.mark_delivered(ids[0], "REG-1")
    assert stuck_services(db.engine) == {}  # delivered, its acknowledgement on its way: nothing is held
    db.mark_acknowledged(ids[0])  # the head moved: the next one is now the head, and it has 5 attempts
    assert stuck_services(db.engine)[SERVICE].item == ids[1]
    db.dead_letter_application(ids[1], "gave up")
    assert stuck_services(db.engine) == {}


def test_a_dead_letter_that_holds_its_queue_is_stuck_until_replayed(db: Ledger) -> None:
    ids = _apps(db, SERVICE, 2)
    _fail(db, ids[0], 8)
    db.dead_letter_application(ids[0], "gave up after 8 attempts: HTTP 503", holds_queue=True)
    held = stuck_services(db.engine)[SERVICE]
    assert (held.item, held.held_by_dead_letter) == (ids[0], True), "the queue waits behind it: say so"
    assert "until it is replayed" in held.reason and "mpphub replay" in held.reason
    (letter,) = [d for d in db.dead_letters() if d["ref"] == ids[0]]
    db.replay(letter["id"])
    assert stuck_services(db.engine) == {}, "replayed: back at the head with a fresh budget"


def test_a_status_event_queue_held_by_its_head(db: Ledger) -> None:
    ids = _apps(db, OTHER, 1)
    with db.engine.begin() as conn:
        conn.execute(update(Application).values(delivery="acknowledged", local_reference="REG-9"))
        conn.execute(
            insert(StatusEvent).values(
                event_id="ev-1",
                national_id=ids[0],
                service_id=OTHER,
                region="35.76",
                sequence=1,
                local_status="PROSES",
                national_status="processing",
                changed_at=datetime.now(UTC),
                state="pending",
                attempts=0,
                next_attempt_at=datetime.now(UTC),
                created_at=datetime.now(UTC),
            )
        )
    for _ in range(STUCK_ATTEMPTS):
        db.retry_events(["ev-1"], "national layer: HTTP 502", datetime.now(UTC), max_attempts=8, give_up_before=None)
    # give_up_before=None dead-letters at max_attempts only: 3 < 8, still pending
    stuck = stuck_services(db.engine)[OTHER]
    assert (stuck.flow, stuck.item, stuck.attempts) == ("inbound", "ev-1", 3)
    assert "status push queue" in stuck.reason and "HTTP 502" in stuck.reason


def test_health_says_stuck_even_when_every_run_was_ok(tmp_path: Path, db: Ledger) -> None:
    registry = copy_registry(tmp_path / "registry")
    ids = _apps(db, SERVICE, 30)
    _fail(db, ids[0], 4)
    run = db.start_run("35.76", SERVICE, "outbound", "w1")
    db.finish_run(run, "ok", {"deliver.retry": 1})  # what the issue saw: the run "succeeded"
    report = build_report(db.engine, load_index(registry), datetime.now(UTC))
    row = report.services[SERVICE]
    assert row["state"] == "stuck", row
    assert row["reason"].startswith(f"outbound: stuck: application {ids[0]} holds the delivery queue after 4")
    assert row["backlog"] == 30 and row["stuck"]["attempts"] == 4
    region = report.regions["35.76"]
    assert region["state"] == "stuck" and SERVICE in region["reason"]
    assert report.totals()["stuck"] == 1


def test_a_fatal_error_outranks_a_stuck_queue(tmp_path: Path, db: Ledger) -> None:
    registry = copy_registry(tmp_path / "registry")
    ids = _apps(db, SERVICE, 1)
    _fail(db, ids[0], 3)
    run = db.start_run("35.76", SERVICE, "inbound", "w1")
    db.finish_run(run, "fatal", {}, "the local system refused the credentials")
    row = build_report(db.engine, load_index(registry), datetime.now(UTC)).services[SERVICE]
    assert row["state"] == "failing" and "credentials" in row["reason"]


def test_api_shows_stuck_with_reason(tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        api = make_api(ledger, copy_registry(tmp_path / "registry"))
        ids = _apps(ledger, SERVICE, 2)
        _fail(ledger, ids[0], 3)
        run = ledger.start_run("35.76", SERVICE, "outbound", "w1")
        ledger.finish_run(run, "ok", {"deliver.retry": 1})

        service = api.get(f"/api/v1/services/{SERVICE}")
        assert service.status_code == 200, service.text
        body = service.json()
        assert body["state"] == "stuck"
        assert body["stuck"]["item"] == ids[0] and body["stuck"]["attempts"] == 3
        assert NIK not in service.text and "3576************" in body["last_error"]

        region = api.get("/api/v1/regions/35.76").json()
        assert region["state"] == "stuck"
        row = next(s for s in region["services"] if s["service_id"] == SERVICE)
        assert row["state"] == "stuck" and row["stuck"]["flow"] == "outbound"
        assert api.get("/api/v1/regions", params={"state": "stuck"}).json()[0]["code"] == "35.76"
        overview = api.get("/api/v1/overview").json()
        assert overview["totals"]["stuck"] == 1
        metrics = api.get("/metrics", role="operator")
        assert 'mpphub_region_state{region="35.76",state="stuck"} 1.0' in metrics.text
    finally:
        ledger.close()


# --- the retry budget ------------------------------------------------------------------------------------

POLICY = RetryPolicy(max_attempts=8, give_up_after_seconds=7 * 24 * 3600)
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # the policy decides from the moment it is given


def test_the_same_unusable_answer_is_exhausted_by_attempts_alone() -> None:
    fresh = NOW - timedelta(minutes=10)  # taken in ten minutes ago: far from 7 days
    answer = UnusableAnswer("submit answered 200 without a reference at data.nomor", write=True)
    assert answered_again(answer, str(answer))
    assert POLICY.exhausted(8, fresh, answered_again(answer, str(answer)), now=NOW)
    assert not POLICY.exhausted(7, fresh, answered_again(answer, str(answer)), now=NOW)  # attempts first, always
    # a different answer last time (e.g. a timeout while the system came back): not "the same" yet
    assert not answered_again(answer, "POST /permohonan: no answer within 30 s")
    assert not POLICY.exhausted(8, fresh, answered_again(answer, "POST /permohonan: no answer within 30 s"), now=NOW)


@pytest.mark.parametrize(
    "exc",
    [
        NotSent("POST /permohonan: connection failed"),
        LostReply("POST /permohonan: no answer within 30 s", write=True),
        BusyAnswer("POST /permohonan: HTTP 503"),
    ],
)
def test_a_system_that_never_answered_keeps_the_seven_days(exc: Exception) -> None:
    fresh = NOW - timedelta(hours=60)  # a long weekend
    assert not answered_again(exc, str(exc))  # type: ignore[arg-type]
    assert not POLICY.exhausted(50, fresh, answered_again(exc, str(exc)), now=NOW)  # type: ignore[arg-type]
    assert POLICY.exhausted(8, NOW - timedelta(days=8), False, now=NOW)


def test_delivery_dead_letters_the_same_unusable_answer_after_the_attempts(tmp_path: Path) -> None:
    """The exhaustion decision of connectors/sync/outbound.py on a real ledger: the same whole answer without
    a reference, attempt after attempt, is a dead letter at max_attempts, ten minutes after intake; a system
    that answers 503 just as often keeps its application queued (the seven days still apply)."""
    from collections import Counter
    from types import SimpleNamespace

    from connectors.sync.outbound import _retry_later

    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        ctx = SimpleNamespace(ledger=ledger, policy=POLICY, clock=ledger.clock)
        unusable_id, busy_id = _apps(ledger, SERVICE, 1)[0], _apps(ledger, OTHER, 1)[0]
        for national_id, exc in (
            (unusable_id, UnusableAnswer("submit answered 200 without a reference at data.nomor", write=True)),
            (busy_id, BusyAnswer("POST /permohonan: HTTP 503", outcome_unknown=True)),
        ):
            counts: Counter[str] = Counter()
            for _ in range(POLICY.max_attempts):
                due = ledger.due_deliveries(_service_of(national_id), 5)
                app = next(a for a in due if a["national_id"] == national_id)
                assert ledger.mark_sending(national_id) is not None
                _retry_later(ctx, app, exc, counts)  # type: ignore[arg-type]
                with ledger.engine.begin() as conn:  # due again at once (the backoff is not under test here)
                    conn.execute(update(Application).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
            state, attempts = ledger.delivery_state(national_id)
            expected = "dead" if isinstance(exc, UnusableAnswer) else "sending"
            assert (state, attempts, counts["dead"]) == (expected, POLICY.max_attempts, int(expected == "dead"))
    finally:
        ledger.close()


def _service_of(national_id: str) -> str:
    return SERVICE if national_id.startswith("akta-kelahiran") else OTHER


def test_alerts_name_a_stuck_region() -> None:
    from hub.commands.alerts import find_alerts

    region = {
        "code": "35.76",
        "name": "Kota Mojokerto",
        "state": "stuck",
        "reason": "1 stuck service(s); e.g. 35.76/akta-kelahiran: outbound: stuck: ...",
        "last_success": None,
        "backlog": 3,
        "dead_letters": 0,
        "last_error": "HTTP 503",
    }
    alerts = find_alerts([region], backlog=500, dead_letters=10)
    assert [a["reasons"] for a in alerts] == [[f"sync stuck: {region['reason']}"]]
