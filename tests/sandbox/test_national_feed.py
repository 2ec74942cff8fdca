"""The region feed: opaque signed cursors, stable order, nothing skipped or repeated while citizens keep
applying, filters, and attachments downloadable with a matching sha256."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from sandbox.national.citizens import CitizenSimulator, StoreSink
from sandbox.national.store import Store
from tests.sandbox.fixtures_national import NationalServer


def _drain(
    server: NationalServer, region: str, cursor: str | None = None, limit: int = 7, **params: Any
) -> tuple[list[dict[str, Any]], str | None]:
    items: list[dict[str, Any]] = []
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = server.get(f"/regions/{region}/applications", params=query).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


def test_nothing_skipped_or_repeated_while_applications_arrive(national_server: NationalServer) -> None:
    writer = CitizenSimulator(sink=StoreSink(Store(national_server.db_path)), seed=3, regions=["35.76"])
    done = threading.Event()
    submitted: list[str] = []

    def produce() -> None:
        for _ in range(120):
            submitted.extend(s.id for s in writer.submit(1))
        done.set()

    producer = threading.Thread(target=produce)
    producer.start()
    seen: list[str] = []
    cursor = None
    while True:
        finished = done.is_set()
        items, cursor = _drain(national_server, "35.76", cursor, limit=5)
        seen += [i["application"]["id"] for i in items]
        if finished:
            break
    producer.join()
    assert len(seen) == len(set(seen)) == 120
    assert seen == submitted  # arrival order, stable


def test_cursor_is_opaque_signed_and_bound_to_its_listing(national_server: NationalServer) -> None:
    national_server.citizens(3, regions=["35.76"])
    page = national_server.get("/regions/35.76/applications", params={"limit": 2}).json()
    assert page["has_more"] is True and len(page["items"]) == 2
    cursor = page["next_cursor"]
    head, _, tail = cursor.partition(".")
    forged = head[:-1] + ("A" if head[-1] != "A" else "B") + "." + tail
    bad = national_server.get("/regions/35.76/applications", params={"cursor": forged})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "$.cursor"
    other = national_server.get("/catalogue", params={"cursor": cursor})
    assert other.status_code == 400 and "another listing" in other.json()["errors"][0]["message"]
    rest = national_server.get("/regions/35.76/applications", params={"cursor": cursor}).json()
    assert len(rest["items"]) == 1 and rest["has_more"] is False
    empty = national_server.get("/regions/35.76/applications", params={"cursor": rest["next_cursor"]}).json()
    assert empty == {"items": [], "next_cursor": rest["next_cursor"], "has_more": False}


def test_another_server_key_refuses_the_cursor(start_national: Any) -> None:
    first = start_national(hmac_key="one")
    second = start_national(db_path=first.db_path, hmac_key="two")
    first.citizens(1, regions=["35.76"])
    cursor = first.get("/regions/35.76/applications").json()["next_cursor"]
    assert second.get("/regions/35.76/applications", params={"cursor": cursor}).status_code == 400


def test_region_and_service_filters(national_server: NationalServer) -> None:
    submissions = national_server.citizens(30, seed=4)
    by_region: dict[str, list[str]] = {}
    for s in submissions:
        by_region.setdefault(s.service_id.partition("/")[0], []).append(s.id)
    for region, ids in by_region.items():
        items, _ = _drain(national_server, region)
        assert [i["application"]["id"] for i in items] == ids
        assert {i["application"]["region"] for i in items} == {region}
    service = submissions[0].service_id
    items, _ = _drain(national_server, service.partition("/")[0], service_id=service)
    assert [i["application"]["id"] for i in items] == [s.id for s in submissions if s.service_id == service]


def test_records_carry_envelope_form_and_downloadable_attachments(national_server: NationalServer) -> None:
    (submission,) = national_server.citizens(1, services=["35.76/akta-kelahiran"])
    (item,) = national_server.get("/regions/35.76/applications").json()["items"]
    assert item["form"] == submission.form
    envelope = item["application"]
    assert envelope["id"] == submission.id and envelope["status"] == "submitted" and envelope["local_reference"] is None
    assert len(envelope["attachments"]) == len(submission.attachments) >= 2
    for meta, generated in zip(envelope["attachments"], submission.attachments, strict=True):
        response = national_server.get(meta["url"].removeprefix(national_server.url))
        assert response.status_code == 200
        assert response.headers["content-type"] == meta["media_type"]
        assert hashlib.sha256(response.content).hexdigest() == meta["sha256"] == response.headers["etag"].strip('"')
        assert response.content == generated.content and meta["size"] == len(generated.content)
    assert national_server.get(f"/applications/{submission.id}").json()["application"] == envelope
