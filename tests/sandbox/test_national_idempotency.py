"""Every write is idempotent: publish, acknowledge, walk-in registration, status events — and the truth
counts each repeat, so tests of the hub can count duplicates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.fixtures_national import NationalServer, status_event

FORM = {
    "nik_pelapor": "3576014511601543",
    "nama_pelapor": "Janet Lestari",
    "no_hp_pelapor": "081390830166",
    "no_kk": "3576010207259265",
    "nama_anak": "Ophelia Nurdiyanti",
    "jenis_kelamin_anak": "P",
    "tanggal_lahir_anak": "2024-05-28",
    "tempat_lahir_anak": "Mojokerto",
    "nama_ibu": "Dewi Novitasari",
    "nik_ibu": "3576015509921689",
}


def walk_in(local_reference: str = "AL-2026-1", **changes: Any) -> dict[str, Any]:
    """A valid walk-in registration for 35.76/akta-kelahiran."""
    return {
        "service_id": "35.76/akta-kelahiran",
        "package_version": "1.0.0",
        "submitted_at": "2026-11-27T09:15:00+07:00",
        "local_reference": local_reference,
        "form": FORM,
        **changes,
    }


def _publication(server: NationalServer, version: str = "1.0.0") -> dict[str, Any]:
    entry = server.get(f"/catalogue/35.76/akta-kelahiran/versions/{version}").json()
    return {k: entry[k] for k in ("id", "version", "region", "service", "form")}


def test_publish_same_content_is_a_no_op_other_content_a_conflict(national_server: NationalServer) -> None:
    publication = _publication(national_server)
    path = "/catalogue/35.76/akta-kelahiran/versions/1.1.0"
    first = national_server.put(path, json={**publication, "version": "1.1.0"})
    again = national_server.put(path, json={**publication, "version": "1.1.0"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    changed = {**publication, "version": "1.1.0", "service": {**publication["service"], "sla_working_days": 9}}
    conflict = national_server.put(path, json=changed)
    assert conflict.status_code == 409
    assert conflict.json()["conflict"] == {
        "id": "35.76/akta-kelahiran",
        "version": "1.1.0",
        "sha256": first.json()["sha256"],
    }
    assert national_server.get("/catalogue/35.76/akta-kelahiran").json()["latest"] == "1.1.0"
    entry = next(
        c for c in national_server.truth()["catalogue"] if (c["id"], c["version"]) == ("35.76/akta-kelahiran", "1.1.0")
    )
    assert entry["received_count"] == 2
    assert national_server.truth()["counters"]["catalogue_conflicts"] == 1


def test_publishing_the_registry_content_again_is_a_no_op(national_server: NationalServer) -> None:
    response = national_server.put("/catalogue/35.76/akta-kelahiran/versions/1.0.0", json=_publication(national_server))
    assert response.status_code == 200


def test_acknowledgement_is_idempotent(national_server: NationalServer) -> None:
    first, second = national_server.apply(n=2)
    path = f"/applications/{first}/acknowledgement"
    created = national_server.put(path, json={"local_reference": "AL-1"})
    repeated = national_server.put(path, json={"local_reference": "AL-1"})
    assert (created.status_code, repeated.status_code) == (201, 200)
    assert (
        created.json()
        == repeated.json()
        == {
            "application_id": first,
            "local_reference": "AL-1",
            "acknowledged_at": created.json()["acknowledged_at"],
        }
    )
    other = national_server.put(path, json={"local_reference": "AL-2"})
    assert other.status_code == 409
    assert other.json()["conflict"] == {"application_id": first, "local_reference": "AL-1"}
    taken = national_server.put(f"/applications/{second}/acknowledgement", json={"local_reference": "AL-1"})
    assert taken.status_code == 409
    assert taken.json()["conflict"] == {"application_id": first, "local_reference": "AL-1"}
    assert (
        national_server.put("/applications/MPP-nope/acknowledgement", json={"local_reference": "X"}).status_code == 404
    )
    truth = {a["id"]: a for a in national_server.truth()["applications"]}
    assert truth[first]["acknowledgement"]["received_count"] == 2
    assert truth[first]["acknowledgement_conflicts"] == 1
    assert truth[second]["acknowledgement"] is None
    assert national_server.get(f"/applications/{first}").json()["application"]["local_reference"] == "AL-1"


def test_walk_in_is_idempotent_by_key_and_by_local_reference(national_server: NationalServer) -> None:
    created = national_server.post("/walk-ins", json=walk_in(), headers={"Idempotency-Key": "k1"})
    assert created.status_code == 201, created.text
    national_id = created.json()["application"]["id"]
    assert created.json()["created"] is True
    same_key = national_server.post("/walk-ins", json=walk_in(), headers={"Idempotency-Key": "k1"})
    new_key = national_server.post("/walk-ins", json=walk_in(), headers={"Idempotency-Key": "k2"})
    edited = national_server.post(
        "/walk-ins", json=walk_in(form={**FORM, "anak_ke": 3}), headers={"Idempotency-Key": "k3"}
    )
    for repeat in (same_key, new_key, edited):
        assert repeat.status_code == 200, repeat.text
        assert repeat.json() == {"application": created.json()["application"], "created": False}
    reused = national_server.post("/walk-ins", json=walk_in("AL-2026-2"), headers={"Idempotency-Key": "k1"})
    assert reused.status_code == 409
    assert reused.json()["conflict"] == {"application_id": national_id}
    truth = national_server.truth()
    (registered,) = truth["walk_ins"]
    assert registered == {
        "application_id": national_id,
        "service_id": "35.76/akta-kelahiran",
        "local_reference": "AL-2026-1",
        "received_count": 4,
        "idempotency_keys": ["k1", "k2", "k3"],
    }
    envelope = created.json()["application"]
    assert (envelope["channel"], envelope["status"], envelope["region"]) == ("counter", "submitted", "35.76")


def test_walk_in_of_an_acknowledged_online_application_returns_it(national_server: NationalServer) -> None:
    (online,) = national_server.apply()
    national_server.put(f"/applications/{online}/acknowledgement", json={"local_reference": "AL-9"})
    response = national_server.post("/walk-ins", json=walk_in("AL-9"), headers={"Idempotency-Key": "k9"})
    assert response.status_code == 200
    assert response.json()["application"]["id"] == online


def test_a_walk_in_can_be_acknowledged_with_its_own_reference(national_server: NationalServer) -> None:
    registered = national_server.post("/walk-ins", json=walk_in("AL-5"), headers={"Idempotency-Key": "k5"}).json()
    path = f"/applications/{registered['application']['id']}/acknowledgement"
    first = national_server.put(path, json={"local_reference": "AL-5"})
    assert first.status_code == 201 and first.json()["acknowledged_at"]
    assert national_server.put(path, json={"local_reference": "AL-5"}).status_code == 200
    assert national_server.put(path, json={"local_reference": "AL-6"}).status_code == 409


def test_walk_ins_stay_out_of_the_feed(national_server: NationalServer) -> None:
    national_server.post("/walk-ins", json=walk_in(), headers={"Idempotency-Key": "k1"})
    assert national_server.get("/regions/35.76/applications").json()["items"] == []


@pytest.mark.parametrize("repeats", [1, 3])
def test_status_event_repeats_are_duplicates(national_server: NationalServer, repeats: int) -> None:
    (app,) = national_server.apply()
    batch = {"events": [status_event(app, 1, "received")]}
    assert national_server.post("/status-events", json=batch).json()["accepted"] == 1
    for _ in range(repeats):
        result = national_server.post("/status-events", json=batch).json()
        assert result["results"] == [{"event_id": f"{app}:1", "result": "duplicate", "application_status": "received"}]
    (event,) = national_server.truth()["events"]
    assert event["received_count"] == repeats + 1
    history = national_server.get(f"/applications/{app}").json()["history"]
    assert [h["status"] for h in history] == ["submitted", "received"]
