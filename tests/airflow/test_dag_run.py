"""A region's DAG run end to end with ``dag.test()`` over the sandbox: the national layer and the REST
local systems on loopback, the ledger in SQLite, the local systems' credentials only as Airflow
Connections (so the run proves they resolve through Airflow)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.airflow.conftest import DAGS, REPO

REGION = "35.78"
DAG_ID = "mpphub_sync_35_78"


def connection_env(secrets: dict[str, str]) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` variables (Airflow's environment Connections) for the secret refs."""
    from mpphub_airflow.secrets import connection_id

    return {
        f"AIRFLOW_CONN_{connection_id(ref).upper()}": json.dumps({"conn_type": "generic", "password": value})
        for ref, value in secrets.items()
    }


def hub_env(tmp_path: Path, national: Any, locals_: list[Any]) -> dict[str, str]:
    """The workers' MPPHUB_* environment against the sandbox servers."""
    from connectors.sync.packages import PackageSource

    packages = PackageSource(REPO / "registry")
    overrides = {}
    for service_id in packages.service_ids():
        document = packages.latest(service_id)
        local = document["local_system"]
        # adopting packages are left out: the two shared servers serve the hand-written packages only (each
        # adopting region needs its own system, tests/drills/world.py rest_styles); REGION has none
        if local["kind"] == "rest" and "extends" not in document:
            style = 0 if local["idempotency"]["strategy"] == "key_header" else 1
            overrides[local["base_url"]] = locals_[style].url
    return {
        "MPPHUB_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "MPPHUB_REGISTRY": str(REPO / "registry"),
        "MPPHUB_NATIONAL_URL": national.url,
        "MPPHUB_NATIONAL_TOKEN": national.token,
        "MPPHUB_BASE_URL_OVERRIDES": json.dumps(overrides),
    }


def region_services() -> list[str]:
    index = json.loads((REPO / "registry" / "index.json").read_text(encoding="utf-8"))
    return sorted(s for s, e in index["packages"].items() if e["region"] == REGION)


@pytest.fixture
def sandbox_env(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
) -> dict[str, Any]:
    env = hub_env(tmp_path, national_server, [local_rest_indonesian, local_rest_cursor])
    env.update(connection_env({**local_rest_indonesian.secrets, **local_rest_cursor.secrets}))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for ref in {**local_rest_indonesian.secrets, **local_rest_cursor.secrets}:
        monkeypatch.delenv(ref, raising=False)
    return {"env": env, "national": national_server, "local": local_rest_cursor}


def test_a_region_dag_run_delivers_every_application_once(airflow_db: Path, sandbox_env: dict[str, Any]) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from connectors.ledger.store import Ledger

    national, local = sandbox_env["national"], sandbox_env["local"]
    services = region_services()
    national.citizens(2 * len(services), seed=11, services=services)
    dag = DagBag(dag_folder=str(DAGS)).get_dag(DAG_ID)
    assert dag is not None
    run = dag.test()
    assert str(run.state) == "success", run.state
    local.step(3)
    assert str(dag.test().state) == "success"

    truth = national.truth()
    online = [a for a in truth["applications"] if a["service_id"] in services and a["origin"] != "walk_in"]
    assert len(online) == 2 * len(services)
    created = Counter(local.truth()["submissions"]["created_per_national_id"])
    for app in online:
        assert created[app["id"]] == 1, app["id"]
        assert app["acknowledgement"] is not None, app["id"]
    assert truth["events"], "officers' status changes reached the national layer"
    assert all(e["received_count"] == 1 for e in truth["events"])
    ledger = Ledger.open(sandbox_env["env"]["MPPHUB_LEDGER_URL"])
    try:
        counts = ledger.counts()
        assert ledger.dead_letters() == []
    finally:
        ledger.close()
    assert counts.get("applications.acknowledged", 0) == len(online), counts
