"""The hub's own national client (``connectors.national``) against the sandbox: every flow it uses works."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from connectors.national import NationalClient
from sandbox.national.citizens import REGISTRY
from sandbox.national.store import utc_now
from tests.sandbox.fixtures_national import NationalServer, status_event


def test_the_hub_client_speaks_the_sandbox_contract(national_server: NationalServer) -> None:
    client = NationalClient(national_server.url, national_server.token)
    package = json.loads((REGISTRY / "published/35.76/akta-kelahiran/1.0.0.json").read_text(encoding="utf-8"))
    assert client.publish(package) == "unchanged"  # the registry seeded the catalogue with the same content
    submitted = national_server.apply(n=3)
    first = client.new_applications("35.76", "35.76/akta-kelahiran", None, limit=2)
    rest = client.new_applications("35.76", "35.76/akta-kelahiran", first.next_cursor, limit=2)
    assert [i["application"]["id"] for i in first.items + rest.items] == submitted
    assert (first.has_more, rest.has_more) == (True, False)
    client.acknowledge(submitted[0], "AL-1")
    client.acknowledge(submitted[0], "AL-1")
    results = client.push_events(
        [status_event(submitted[0], 1, "received"), status_event(submitted[0], 3, "processing")]
    )
    assert [r["result"] for r in results] == ["accepted", "rejected"]
    registration = {
        "service_id": "35.76/akta-kelahiran",
        "package_version": "1.0.0",
        "submitted_at": utc_now(),
        "local_reference": "W-1",
        "form": first.items[1]["form"],
    }
    envelope = client.register_walk_in(registration, "35.76/akta-kelahiran#W-1")
    assert client.register_walk_in(registration, "35.76/akta-kelahiran#W-1")["id"] == envelope["id"]
    assert [h["status"] for h in client.application(submitted[0])["history"]] == ["submitted", "received"]
    today = datetime.now(UTC).date()
    days = ((today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat())
    rows = client.reconciliation("35.76", *days, "35.76/akta-kelahiran")["rows"]
    assert sum(r["count"] for r in rows) == 4
