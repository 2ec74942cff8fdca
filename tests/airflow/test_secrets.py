"""secret_ref through Airflow Connections, with the environment as fallback."""

from __future__ import annotations

import json

import pytest

from connectors.errors import FatalError


@pytest.mark.parametrize(
    ("ref", "conn_id"),
    [
        ("R3576_DISPENDUK_TOKEN", "mpphub_r3576_dispenduk_token"),
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

    monkeypatch.setenv("R3576_T1", "from-env")
    monkeypatch.setenv("AIRFLOW_CONN_MPPHUB_R3576_T1", json.dumps({"conn_type": "generic", "password": "from-conn"}))
    monkeypatch.setenv(
        "AIRFLOW_CONN_MPPHUB_R3576_DB_URL", json.dumps({"conn_type": "generic", "extra": {"value": "pg://x"}})
    )
    monkeypatch.setenv("R3576_ONLY_ENV", "env-value")
    secrets = AirflowConnectionSecrets()
    assert secrets.get("R3576_T1") == "from-conn"
    assert secrets.get("R3576_DB_URL") == "pg://x"
    assert secrets.get("R3576_ONLY_ENV") == "env-value"


def test_the_hubs_own_connections_and_environment_are_never_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpphub_airflow.secrets import AirflowConnectionSecrets

    monkeypatch.setenv("MPPHUB_NATIONAL_TOKEN", "the-real-national-token")
    monkeypatch.setenv("AIRFLOW_CONN_MPPHUB_MPPHUB_HASH_KEY", json.dumps({"conn_type": "generic", "password": "k"}))
    for name in ("MPPHUB_NATIONAL_TOKEN", "MPPHUB_HASH_KEY", "HOME"):
        with pytest.raises(FatalError, match="is not a package secret") as caught:
            AirflowConnectionSecrets().get(name)
        assert "the-real-national-token" not in str(caught.value)


def test_neither_is_fatal_and_says_where_to_put_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpphub_airflow.secrets import AirflowConnectionSecrets

    monkeypatch.delenv("R3576_NOWHERE_TOKEN", raising=False)
    with pytest.raises(
        FatalError, match=r"Airflow Connection mpphub_r3576_nowhere_token .* environment variable R3576_NOWHERE_TOKEN"
    ):
        AirflowConnectionSecrets().get("R3576_NOWHERE_TOKEN")
