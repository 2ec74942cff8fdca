"""Drill: a region's package tries to name the hub's own secrets (issue 16, attack 1).

On the old main a package with ``secret_ref: MPPHUB_NATIONAL_TOKEN`` validated, was published, and the next
sync sent the national token to the region's own server. Now the validator and publish refuse any name
outside the package region's namespace (``R3576_`` for 35.76), and the runtime resolver refuses it
before anything is looked up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import FatalError
from connectors.rest import RestConnector
from connectors.secrets import EnvSecrets, StaticSecrets
from registry.publish import publish
from registry.validate import check_document

FOREIGN = ["MPPHUB_NATIONAL_TOKEN", "MPPHUB_HASH_KEY", "MPPHUB_LEDGER_URL", "HOME", "R35_PERIZINAN_API_KEY", "R3578_X"]


def _with_ref(good_doc: dict[str, Any], name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(good_doc))
    doc["local_system"]["auth"] = {"type": "bearer", "secret_ref": name}
    return doc


@pytest.mark.parametrize("name", FOREIGN)
def test_validate_and_publish_refuse_a_foreign_secret(good_doc: dict[str, Any], tmp_path: Path, name: str) -> None:
    doc = _with_ref(good_doc, name)
    problems = check_document(tmp_path / "p.json", doc)
    assert [(p.rule, p.path) for p in problems] == [("secret-namespace", "$.local_system.auth.secret_ref")]
    source = tmp_path / "35.76" / "akta-kelahiran.json"
    source.parent.mkdir()
    source.write_text(json.dumps(doc), encoding="utf-8")
    result = publish(source, tmp_path / "registry")
    assert result.outcome == "refused" and not (tmp_path / "registry" / "published").exists()


@pytest.mark.parametrize("name", FOREIGN)
def test_the_runtime_resolver_refuses_before_looking_up(
    good_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "the-hubs-secret")
    doc = _with_ref(good_doc, name)
    with pytest.raises(FatalError, match="namespace") as caught:
        RestConnector(doc, StaticSecrets({}, fallback=EnvSecrets()))
    assert "the-hubs-secret" not in str(caught.value)
    if not name.startswith("R"):
        with pytest.raises(FatalError, match="not a package secret"):
            EnvSecrets().get(name)


def test_the_own_namespace_resolves(good_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("R3576_DISPENDUK_TOKEN", "regional")
    connector = RestConnector(_with_ref(good_doc, "R3576_DISPENDUK_TOKEN"), EnvSecrets())
    assert connector.client is not None
