"""`mpphub reconcile` over the real sandbox: drift while the hub has not pulled, none after a sync."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.sync.packages import PackageSource
from tests.conftest import REPO, CliResult

SERVICE = "35.76/akta-kelahiran"  # a style (a) REST package of Kota Mojokerto


@pytest.fixture
def hub_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, national_server: Any, local_rest_indonesian: Any) -> Any:
    package = PackageSource(REPO / "registry").latest(SERVICE)
    monkeypatch.setenv("MPPHUB_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("MPPHUB_NATIONAL_URL", national_server.url)
    monkeypatch.setenv("MPPHUB_NATIONAL_TOKEN", national_server.token)
    monkeypatch.setenv(
        "MPPHUB_BASE_URL_OVERRIDES", json.dumps({package["local_system"]["base_url"]: local_rest_indonesian.url})
    )
    for name, value in local_rest_indonesian.secrets.items():
        monkeypatch.setenv(name, value)
    return national_server


def test_drift_until_the_hub_pulls_then_none(hub_env: Any, cli: Callable[..., CliResult]) -> None:
    hub_env.citizens(3, seed=31, services=[SERVICE])
    drift = cli("reconcile", "--region", "35.76")
    assert drift.code == 1, drift.out + drift.err
    today = datetime.now(UTC).date().isoformat()
    assert f"35.76   {SERVICE} {today}: hub 0, national 3" in drift.out
    assert "1 drifting (1 service-days)" in drift.out

    synced = cli("sync", "--service", SERVICE, "--flow", "outbound")
    assert synced.code == 0, synced.out + synced.err
    clean = cli("reconcile", "--region", "35.76", "--format", "json")
    assert clean.code == 0, clean.out + clean.err
    report = clean.json()
    assert report["regions"] == {"35.76": []} and report["errors"] == {}
    assert report["to"] == today and report["from"] == (datetime.now(UTC).date() - timedelta(days=6)).isoformat()


def test_an_unreachable_national_layer_is_reported_not_raised(
    hub_env: Any, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPPHUB_NATIONAL_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    result = cli("reconcile", "--region", "35.76")
    assert result.code == 1
    assert "35.76   could not reconcile:" in result.out and "1 unreachable" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "not a date (YYYY-MM-DD): '2026-13-01'"),
        (["--from", "2026-11-20", "--to", "2026-11-01"], "--from 2026-11-20 is after --to 2026-11-01"),
        (["--from", "2024-01-01", "--to", "2026-01-01"], "at most 366 days at once"),
        (["--region", "99.99"], "no published service matches --region"),
    ],
)
def test_bad_input_is_a_usage_error(hub_env: Any, cli: Callable[..., CliResult], args: list[str], message: str) -> None:
    result = cli("reconcile", *args)
    assert result.code == 2
    assert message in result.err
