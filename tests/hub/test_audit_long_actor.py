"""An actor name over the audit log's 120 characters no longer breaks the chain: the record is hashed
as it is stored (issue 16)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from tests.conftest import GOOD_PACKAGE
from tests.hub.conftest import REGION, copy_registry

LONG_LOGIN = "petugas-" + "x" * 192  # 200 characters: "cli:" + it is 204


def test_a_200_character_actor_keeps_the_audit_chain_intact(
    tmp_path: Path, cli: Any, isolated_ledger: str, write_package: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: LONG_LOGIN)
    registry = copy_registry(tmp_path / "registry")
    doc = json.loads(GOOD_PACKAGE.read_text(encoding="utf-8"))
    doc["version"] = "1.0.1"
    published = cli("publish", write_package(doc), "--registry", registry)
    assert published.code == 0 and "audit #1" in published.out, published.out
    ledger = Ledger.open(isolated_ledger)
    ledger.quarantine(REGION, f"{REGION}/akta-kelahiran", "inbound", "ref-1", "unknown status code", None)
    letter = ledger.dead_letters()[0]["id"]
    assert cli("replay", str(letter)).code == 0
    verify = cli("audit", "verify")
    assert verify.code == 0 and verify.out.startswith("audit chain intact: 2 record(s)"), verify.out
    actors = [r["actor"] for r in ledger.audit_records()]
    assert actors == [f"cli:{LONG_LOGIN}"[:117] + "..."] * 2
    assert len(actors[0]) == 120 and actors[0].startswith("cli:petugas-xxx") and actors[0].endswith("...")
    ledger.close()


def test_every_stored_field_is_the_hashed_one(isolated_ledger: str) -> None:
    ledger = Ledger.open(isolated_ledger)
    ledger.append_audit("a" * 500, "b" * 100, "c" * 900, {"n": 1})
    ledger.append_audit("token:ops", "replay", "dead-letter:1", {})
    assert ledger.verify_audit() is None
    first = ledger.audit_records()[-1]
    assert (len(first["actor"]), len(first["action"]), len(first["subject"])) == (120, 40, 200)
    ledger.close()
