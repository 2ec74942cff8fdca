"""secret_ref through Airflow Connections, with the environment as fallback."""

from __future__ import annotations

import json

import pytest

from connectors.errors import FatalError


@pytest.mark.parametrize(
    ("ref", "conn_id"),
    [
        ("MOJOKERTO_DISPENDUK_TOKEN", "mpphub_mojokerto_dispenduk_token"),
        ("kab-mojokerto.db", "mpphub_kab_mojokerto_db"),
        ("__X__", "mpphub_x"),
    ],
)
def test_connection_ids(ref: str, conn_id: str) -> None:
    from mpphub_airflow.secrets import connection_id

    assert connection_id(ref) == conn_id


def test_a_reference_without_letters_is_refused() -> None:
    from mpphub_airflow.secrets import connection_id

    with pytest.raises(FatalError, match="has no letters or digits"):
        connection_id("--")


def test_the_connection_wins_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpphub_airflow.secrets import AirflowConnectionSecrets

    monkeypatch.setenv("MPPHUB_T1", "from-env")
    monkeypatch.setenv("AIRFLOW_CONN_MPPHUB_MPPHUB_T1", json.dumps({"conn_type": "generic", "password": "from-conn"}))
    monkeypatch.setenv("AIRFLOW_CONN_MPPHUB_DB_URL", json.dumps({"conn_type": "generic", "extra": {"value": "pg://x"}}))
    monkeypatch.setenv("ONLY_ENV", "env-value")
    secrets = AirflowConnectionSecrets()
    assert secrets.get("MPPHUB_T1") == "from-conn"
    assert secrets.get("DB_URL") == "pg://x"
    assert secrets.get("ONLY_ENV") == "env-value"


def test_neither_is_fatal_and_says_where_to_put_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpphub_airflow.secrets import AirflowConnectionSecrets

    monkeypatch.delenv("NOWHERE_TOKEN", raising=False)
    with pytest.raises(
        FatalError, match=r"Airflow Connection mpphub_nowhere_token .* environment variable NOWHERE_TOKEN"
    ):
        AirflowConnectionSecrets().get("NOWHERE_TOKEN")
