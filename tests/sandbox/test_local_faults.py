"""Fault knobs on the simulated REST systems: record-level faults across pages of every pagination style,
the control endpoints never faulted, and a write whose answer was lost (hang) under both idempotency styles."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
import requests

from tests.sandbox.fixtures_local import LocalRestServer
from tests.sandbox.local_support import CURSOR, INDONESIAN, TIMEOUT, envelope, fill, form, hub_fields, submit_body, walk

SIMPEL = next(p for p in CURSOR if p["id"] == "35.76/izin-reklame")
SSW = next(p for p in CURSOR if p["id"] == "35.78/keterangan-rencana-kota")
STYLES = [("local_rest_indonesian", INDONESIAN[0]), ("local_rest_cursor", SIMPEL), ("local_rest_cursor", SSW)]
RATE, PAGE = 0.25, 25


def _session(server: LocalRestServer, package: dict[str, Any]) -> requests.Session:
    session, auth = requests.Session(), package["local_system"]["auth"]
    if auth["type"] == "bearer":
        session.headers["Authorization"] = f"Bearer {server.credentials['token']}"
    elif auth["type"] == "basic":
        session.auth = (server.credentials["username"], server.credentials["password"])
    else:
        session.headers[auth["name"]] = server.credentials["api_key"]
    return session


def _post(
    server: LocalRestServer, session: requests.Session, package: dict[str, Any], application: dict[str, Any], **kw: Any
) -> requests.Response:
    op = package["local_system"]["operations"]["submit"]
    body = submit_body(package, application, form(package))
    return session.request(op["method"], server.url + fill(op["path"], application), json=body, **kw)


def _counters(server: LocalRestServer) -> dict[str, int]:
    return dict(requests.get(f"{server.url}/_sandbox/faults", timeout=TIMEOUT).json()["counters"])


@pytest.mark.parametrize("knob", ["duplicate_rate", "out_of_order_rate"])
@pytest.mark.parametrize(("fixture", "package"), STYLES, ids=["page_number", "cursor", "next_link"])
def test_record_faults_hit_listings_across_pages_at_their_rate_and_lose_nothing(
    fixture, package, knob, request
) -> None:
    server: LocalRestServer = request.getfixturevalue(fixture)
    op = package["local_system"]["operations"]["status_changes"]
    with _session(server, package) as session:
        for _ in range(60):
            assert _post(server, session, package, envelope(package), timeout=TIMEOUT).status_code == 201
        server.step(4)
        expected = [c["event_id"] for c in server.truth()["status_changes"]]
        server.faults(seed=11, **{knob: RATE})
        pages = walk(session, server.url, op, page_size=PAGE)
    delivered = [(n, int(hub_fields(op, r)["event_id"])) for n, page in enumerate(pages) for r in page]
    got = [event for _, event in delivered]
    hits = _counters(server)[knob.removesuffix("_rate")]
    assert set(got) == set(expected)  # nothing lost
    assert abs(hits / len(expected) - RATE) < 0.08
    first_page: dict[int, int] = {}
    for n, event in delivered:
        first_page.setdefault(event, n)
    if knob == "duplicate_rate":
        assert len(got) - len(set(got)) == hits
        repeated_later = [event for n, event in delivered if n > first_page[event]]
        assert len(repeated_later) >= hits - 1  # a copy arrives on the next page (on the last page: at its end)
    else:
        assert len(got) == len(expected)
        late = [event for i, event in enumerate(got) if i and event < max(got[:i])]
        assert abs(len(late) - hits) <= 1
        crossing = {e for e in late if any(later > e and first_page[later] < first_page[e] for later in got)}
        # overtaken on an earlier page: late across a page boundary (the last page's own late records stay on it)
        assert {first_page[e] for e in late if e not in crossing} <= {max(first_page.values())}
        assert len(crossing) > 0.8 * len(late)


@pytest.mark.parametrize("fixture", ["local_rest_indonesian", "local_rest_cursor"])
def test_control_endpoints_are_never_faulted(fixture, request) -> None:
    server: LocalRestServer = request.getfixturevalue(fixture)
    server.faults(error_rate=1.0)
    assert server.truth()["applications"] == []
    assert server.walk_ins(1)["count"] >= 0 and server.step(1)["count"] >= 0
    assert requests.get(f"{server.url}/permohonan", timeout=TIMEOUT).status_code in (500, 502, 503)


def test_a_lost_answer_is_retried_with_the_same_key_and_creates_nothing_new(local_rest_indonesian) -> None:
    server, package = local_rest_indonesian, INDONESIAN[1]
    application = envelope(package)
    key = {"Idempotency-Key": application["id"]}
    with _session(server, package) as session:
        server.faults(hang_rate=1.0, hang_seconds=0.6)
        with pytest.raises(requests.exceptions.ReadTimeout):
            _post(server, session, package, application, headers=key, timeout=0.2)
        server.faults()
        retry = _post(server, session, package, application, headers=key, timeout=TIMEOUT)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert server.truth()["submissions"]["created_per_national_id"] == {application["id"]: 1}


def test_a_lost_answer_is_resolved_by_lookup_before_any_resend(local_rest_cursor) -> None:
    server, package = local_rest_cursor, SSW
    lookup = package["local_system"]["operations"]["lookup"]
    application = envelope(package)
    with _session(server, package) as session:
        server.faults(hang_rate=1.0, hang_seconds=0.6)
        with pytest.raises(requests.exceptions.ReadTimeout):
            _post(server, session, package, application, timeout=0.2)
        server.faults()
        query = {k: fill(v, application) for k, v in lookup["query"].items()}
        found = session.get(server.url + lookup["path"], params=query, timeout=TIMEOUT).json()
    [held] = server.truth()["applications"]
    assert jmespath.search(lookup["reference_path"], found) == held["reference"]  # delivered once: no resend
