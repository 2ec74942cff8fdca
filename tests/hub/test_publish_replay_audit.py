"""Publishing and replaying through the API and the CLI leave hash-chained audit records; `mpphub audit
verify` passes on the untouched chain and fails, naming the first broken seq, after an edit or a delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from connectors.ledger.models import AuditRecord
from connectors.ledger.store import Ledger
from tests.conftest import GOOD_PACKAGE
from tests.hub.conftest import REGION, Api, copy_registry


def _doc(version: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(GOOD_PACKAGE.read_text(encoding="utf-8"))
    doc["version"] = version
    return doc


def test_publish_through_the_api_is_validated_published_and_audited(api_any_db: Api) -> None:
    api = api_any_db
    headers = api.headers("region")
    body = json.dumps(_doc("1.0.1"), ensure_ascii=False, indent=2).encode()
    first = api.client.post("/api/v1/packages", headers=headers, content=body)
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "published" and first.json()["audit_seq"] == 1
    again = api.client.post("/api/v1/packages", headers=headers, content=body)
    assert (again.status_code, again.json()["outcome"], again.json()["audit_seq"]) == (200, "unchanged", None)
    versions = api.get(f"/api/v1/packages/{REGION}/akta-kelahiran/versions").json()
    assert [v["version"] for v in versions] == ["1.0.1", "1.0.0"] and versions[0]["latest"]
    assert (api.registry / "published" / REGION / "akta-kelahiran" / "1.0.1.json").read_bytes() == body
    records = api.ledger.audit_records()
    assert [(r["actor"], r["action"], r["subject"]) for r in records] == [
        ("token:mojokerto", "publish", f"{REGION}/akta-kelahiran@1.0.1")
    ]
    assert records[0]["details"]["sha256"] == first.json()["sha256"]
    assert api.ledger.verify_audit() is None


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 422, "not valid JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (b"{}", 403, "own region"),
        # a region token dressing a national template up as its own package: refused before anything runs
        (
            json.dumps(
                {
                    "id": f"{REGION}/x",
                    "region": REGION,
                    "schema_version": "1",
                    "template": {"id": "nasional/akta-kelahiran", "version": "9.0.0", "kind": "service"},
                }
            ).encode(),
            403,
            "templates are published by the registry's stewards",
        ),
        (b"{" + b'"x": "' + b"a" * (1024 * 1024) + b'"}', 413, "larger than"),
    ],
)
def test_bad_publish_bodies_change_nothing(api: Api, body: bytes, status: int, fragment: str) -> None:
    before = (api.registry / "index.json").read_bytes()
    response = api.client.post("/api/v1/packages", headers=api.headers("region"), content=body)
    assert response.status_code == status and fragment in response.json()["error"]
    assert (api.registry / "index.json").read_bytes() == before
    assert api.ledger.audit_count() == 0


def test_an_invalid_package_is_refused_with_its_problems(api: Api) -> None:
    doc = _doc("1.0.1")
    doc["service"]["sla_working_days"] = 0
    doc["local_system"]["base_url"] = "http://169.254.169.254/latest"
    response = api.client.post("/api/v1/packages", headers=api.headers("region"), json=doc)
    assert response.status_code == 422
    body = response.json()
    assert "nothing was published" in body["error"]
    assert any("sla_working_days" in p["path"] for p in body["problems"])
    assert api.ledger.audit_count() == 0


def test_replay_through_the_api_is_audited(api_any_db: Api) -> None:
    api = api_any_db
    api.ledger.quarantine(REGION, f"{REGION}/akta-kelahiran", "inbound", "ref-9", "unknown status code", None)
    letter = api.ledger.dead_letters()[0]["id"]
    response = api.client.post(f"/api/v1/dead-letters/{letter}/replay", headers=api.headers("operator"))
    assert response.status_code == 200, response.text
    assert response.json()["audit_seq"] == 1
    assert api.client.post(f"/api/v1/dead-letters/{letter}/replay", headers=api.headers("operator")).status_code == 404
    record = api.ledger.audit_records()[0]
    assert (record["actor"], record["action"], record["subject"]) == ("token:ops", "replay", f"dead-letter:{letter}")
    assert api.get("/api/v1/audit/verify").json() == {"ok": True, "records": 1, "broken_seq": None, "reason": None}


def test_cli_publish_and_replay_append_audit_records_and_verify_detects_tampering(
    tmp_path: Path, cli: Any, isolated_ledger: str, write_package: Any
) -> None:
    registry = copy_registry(tmp_path / "registry")
    for version in ("1.0.1", "1.0.2", "1.0.3"):
        result = cli("publish", write_package(_doc(version)), "--registry", registry)
        assert result.code == 0 and "audit #" in result.out, result.out
    ledger = Ledger.open(isolated_ledger)
    ledger.quarantine(REGION, f"{REGION}/akta-kelahiran", "inbound", "ref-1", "unknown status code", None)
    letter = ledger.dead_letters()[0]["id"]
    replay = cli("replay", str(letter))
    assert replay.code == 0 and "audit #4" in replay.out
    listing = cli("audit", "list", "--format", "json").json()
    assert [r["action"] for r in listing] == ["replay", "publish", "publish", "publish"]
    assert listing[-1]["actor"].startswith("cli:")
    ok = cli("audit", "verify")
    assert ok.code == 0 and ok.out.startswith("audit chain intact: 4 record(s)")
    anchor = ok.out.split("head ")[1].split()[0]
    assert anchor.startswith("4:")
    assert cli("audit", "verify", "--anchor", anchor).code == 0

    with ledger.engine.begin() as conn:  # the newest record is deleted: the chain alone still holds
        conn.execute(delete(AuditRecord).where(AuditRecord.seq == 4))
    assert cli("audit", "verify").code == 0
    tail = cli("audit", "verify", "--anchor", anchor)
    assert tail.code == 1 and "BROKEN at seq 4" in tail.out
    assert cli("audit", "verify", "--anchor", "4:nothex").code == 2

    with ledger.engine.begin() as conn:  # someone edits a publish record's digest
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(details={"sha256": "0" * 64}))
    edited = cli("audit", "verify")
    assert edited.code == 1 and "BROKEN at seq 2" in edited.out

    with ledger.engine.begin() as conn:  # then deletes another one
        conn.execute(delete(AuditRecord).where(AuditRecord.seq == 1))
    deleted = cli("audit", "verify")
    assert deleted.code == 1 and "BROKEN at seq 1" in deleted.out and "missing" in deleted.out
    ledger.close()
