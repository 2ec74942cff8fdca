"""The engine's error classes as Airflow outcomes: fatal fails without retry (with the reason in the
message), retriable raises for Airflow's retry with backoff, record-level succeeds with its counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from connectors.sync.engine import ServiceResult
from tests.airflow.test_dag_run import connection_env, hub_env

SERVICE = "35.78/keterangan-rencana-kota"


def result(
    service: str, counts: dict[str, int] | None = None, errors: list[str] | None = None, fatal: str | None = None
):
    return ServiceResult(service, service.split("/")[0], Counter(counts or {}), errors or [], fatal)


def test_fatal_fails_the_task_without_retry_and_names_the_reason() -> None:
    from airflow.sdk.exceptions import AirflowFailException
    from mpphub_airflow.outcomes import judge, raise_for

    verdict = judge([result("35.76/a", fatal="outbound: 401 from local system"), result("35.76/b", errors=["x: 503"])])
    with pytest.raises(AirflowFailException, match=r"35\.76/a: outbound: 401 from local system"):
        raise_for(verdict)


def test_retriable_raises_an_exception_airflow_retries() -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
    from mpphub_airflow.outcomes import judge, raise_for

    with pytest.raises(AirflowException, match=r"retriable.*35\.76/b: inbound: 503") as caught:
        raise_for(judge([result("35.76/a"), result("35.76/b", errors=["inbound: 503"])]))
    assert not isinstance(caught.value, AirflowFailException)


def test_record_level_succeeds_with_the_counts() -> None:
    from mpphub_airflow.outcomes import judge, raise_for

    summary = raise_for(
        judge(
            [
                result("35.76/a", {"deliver.delivered": 3, "deliver.dead": 1}),
                result("35.76/b", {"push.pushed": 2, "push.rejected": 1, "walk_in.quarantined": 2}),
            ]
        )
    )
    assert summary["quarantined"] == 4
    assert summary["counts"]["deliver.delivered"] == 3 and summary["counts"]["push.pushed"] == 2


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, national_server: Any, local_rest_cursor: Any) -> Any:
    for name, value in hub_env(tmp_path, national_server, [local_rest_cursor, local_rest_cursor]).items():
        monkeypatch.setenv(name, value)
    for ref in local_rest_cursor.secrets:
        monkeypatch.delenv(ref, raising=False)
    return {"national": national_server, "local": local_rest_cursor, "monkeypatch": monkeypatch}


def test_a_missing_secret_fails_the_real_task_without_retry(hub: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowFailException
    from mpphub_airflow.tasks import sync_services

    hub["national"].citizens(2, seed=3, services=[SERVICE])
    with pytest.raises(AirflowFailException, match=r"secret \w+ is not set: define the Airflow Connection mpphub_"):
        sync_services([SERVICE])


def test_the_national_layer_failing_makes_the_real_task_retriable(hub: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
    from mpphub_airflow.tasks import sync_services

    for name, value in connection_env(hub["local"].secrets).items():
        hub["monkeypatch"].setenv(name, value)
    hub["national"].faults(seed=1, error_rate=1.0)
    with pytest.raises(AirflowException, match="retriable") as caught:
        sync_services([SERVICE])
    assert not isinstance(caught.value, AirflowFailException)
    hub["national"].faults()
    summary = sync_services([SERVICE])  # Airflow's retry, once the national layer is back
    assert summary["quarantined"] == 0
