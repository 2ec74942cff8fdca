"""The national dead-letter page's API: ``GET /api/v1/dead-letters/page`` (filters, server-side pages, the
local reference, masked reasons, region scoping) and ``POST /api/v1/dead-letters/replay`` (operators only,
bounded, each replay audited as ``mpphub replay`` audits it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub import dead_letter_world as dl
from tests.hub.conftest import Api

PAGE = "/api/v1/dead-letters/page"


def _page(api: Api, role: str = "coordinator", **params: Any) -> dict[str, Any]:
    response = api.get(PAGE, role, {k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_page_shows_the_local_reference_and_masked_reasons(api_any_db: Api) -> None:
    api = api_any_db
    ids = dl.seed(api.ledger)
    body = _page(api, region=dl.REGION)
    assert body["total"] == 4 and body["pages"] == 1
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[ids["event"]]["local_reference"] == dl.LOCAL_REFERENCE  # the event's application's
    assert by_id[ids["event"]]["national_id"] == "NAT-0"
    assert by_id[ids["record"]]["local_reference"] == dl.RECORD_REFERENCE
    assert by_id[ids["refused"]]["local_reference"] is None  # the local system never took it
    assert by_id[ids["refused"]]["reason"] == dl.REFUSED_REASON
    gave_up = by_id[ids["gave_up"]]
    assert dl.NIK not in str(body) and "3576************" in gave_up["reason"]
    assert gave_up["region_name"] == "Kota Mojokerto" and gave_up["kind"] == "application"
    # newest first
    assert [i["id"] for i in body["items"]] == sorted(by_id, reverse=True)


def test_filters_and_pages_are_applied_by_the_server(api: Api) -> None:
    ids = dl.seed(api.ledger)
    everything = _page(api, page_size=50)
    assert everything["total"] == 4 + dl.BULK and everything["pages"] == 3 and len(everything["items"]) == 50
    last = _page(api, page_size=50, page=3)
    assert len(last["items"]) == 4 + dl.BULK - 100 and last["page"] == 3
    seen = {i["id"] for p in (1, 2, 3) for i in _page(api, page_size=50, page=p)["items"]}
    assert len(seen) == 4 + dl.BULK  # no row on two pages, none skipped
    assert {(r["code"], r["count"]) for r in everything["regions"]} == {(dl.REGION, 4), (dl.OTHER_REGION, dl.BULK)}
    assert _page(api, region="35")["total"] == 4 + dl.BULK  # a province holds its regencies
    assert [i["id"] for i in _page(api, kind="event")["items"]] == [ids["event"]]
    assert _page(api, service=dl.OTHER_SERVICE)["total"] == dl.BULK
    # text contains, any case, taken literally
    assert [i["id"] for i in _page(api, reason="STATUS_MAP")["items"]] == [ids["record"]]
    assert _page(api, reason="%")["total"] == 0
    only = _page(api, reason="jenis_layanan", region=dl.REGION, kind="application")
    assert [i["id"] for i in only["items"]] == [ids["refused"]]
    # the region facet ignores the region filter (it is the filter's list) but keeps the others
    assert {r["code"] for r in _page(api, region=dl.REGION, kind="record")["regions"]} == {dl.REGION, dl.OTHER_REGION}
    assert _page(api, page=9)["items"] == []


def test_a_region_token_reads_its_own_region_only(api: Api) -> None:
    dl.seed(api.ledger)
    own = _page(api, "region")
    assert own["total"] == 4 and {i["region"] for i in own["items"]} == {dl.REGION}
    assert [r["code"] for r in own["regions"]] == [dl.REGION]  # not even another region's count
    assert _page(api, "region", region=dl.REGION)["total"] == 4
    for params in ({"region": dl.OTHER_REGION}, {"region": "35"}, {"service": dl.OTHER_SERVICE}):
        response = api.get(PAGE, "region", params)
        assert response.status_code == 403 and set(response.json()) == {"error"}
    other = _page(api, "other_region")
    assert {i["region"] for i in other["items"]} == {dl.OTHER_REGION}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"reason": dl.NIK}, "reason"),
        ({"reason": "081234567890"}, "reason"),
        ({"kind": "letter"}, "query.kind"),
        ({"page": "0"}, "query.page"),
        ({"page_size": "201"}, "query.page_size"),
        ({"region": "35.7"}, "query.region"),
    ],
)
def test_bad_filters_are_refused_without_echo(api: Api, params: dict[str, str], fragment: str) -> None:
    response = api.get(PAGE, "coordinator", params)
    assert response.status_code == 422 and fragment in response.json()["error"]
    assert dl.NIK not in response.text and "081234567890" not in response.text


def test_an_operator_replays_a_selection_each_audited_like_the_cli(api_any_db: Api) -> None:
    api = api_any_db
    ids = dl.seed(api.ledger)
    chosen = [ids["refused"], ids["event"], ids["record"]]
    response = api.client.post(
        "/api/v1/dead-letters/replay", headers=api.headers("operator"), json={"ids": [*chosen, chosen[0], 99999]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["id"] for r in body["replayed"]] == chosen and body["not_open"] == [99999]
    records = list(reversed(api.ledger.audit_records()))
    assert [(r["actor"], r["action"], r["subject"]) for r in records] == [
        ("token:ops", "replay", f"dead-letter:{i}") for i in chosen
    ]
    assert records[0]["details"]["ref"] == "NAT-1" and records[0]["details"]["service_id"] == dl.SERVICE
    assert [r["seq"] for r in records] == [r["audit_seq"] for r in body["replayed"]]
    assert _page(api, region=dl.REGION)["total"] == 1  # the page updates: only the one not chosen is open
    assert api.get("/api/v1/audit/verify").json()["ok"] is True
    again = api.client.post("/api/v1/dead-letters/replay", headers=api.headers("operator"), json={"ids": chosen})
    assert again.json() == {"replayed": [], "not_open": chosen}
    assert api.ledger.audit_count() == 3


@pytest.mark.parametrize("role", [None, "region", "other_region", "coordinator"])
def test_only_operators_replay_whatever_the_body(api: Api, role: str | None) -> None:
    ids = dl.seed(api.ledger)
    bodies: list[dict[str, Any]] = [{"ids": [ids["refused"]]}, {"ids": []}, {"nothing": 1}]
    for body in bodies:
        response = api.client.post("/api/v1/dead-letters/replay", headers=api.headers(role), json=body)
        assert response.status_code == (401 if role is None else 403), (body, response.text)
    single = api.client.post(f"/api/v1/dead-letters/{ids['refused']}/replay", headers=api.headers(role))
    assert single.status_code == (401 if role is None else 403)
    assert api.ledger.audit_count() == 0 and _page(api)["total"] == 4 + dl.BULK


def test_a_selection_is_bounded(api: Api) -> None:
    dl.seed(api.ledger)
    ids = [i["id"] for p in (1, 2, 3) for i in _page(api, page_size=50, page=p)["items"]][:101]
    response = api.client.post("/api/v1/dead-letters/replay", headers=api.headers("operator"), json={"ids": ids})
    assert response.status_code == 422 and "ids" in response.json()["error"]
    assert api.ledger.audit_count() == 0


def test_the_service_page_names_its_province(api: Api) -> None:
    body = api.get(f"/api/v1/services/{dl.SERVICE}").json()
    assert (body["province_code"], body["province_name"].upper()) == ("35", "JAWA TIMUR")
