"""The API's health cache: warmed up at start, served while fresh, dropped by a publish or a replay."""

from __future__ import annotations

from pathlib import Path

from connectors.ledger.store import Ledger
from hub.api.state import HubState
from tests.hub.conftest import REGION, copy_registry


def test_the_report_is_cached_until_invalidated(tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    state = HubState(ledger, copy_registry(tmp_path / "registry"), cache_seconds=3600)
    state.warm_up()
    first = state.report()  # waits for the warm-up instead of computing twice
    assert state.report() is first
    ledger.quarantine(REGION, f"{REGION}/akta-kelahiran", "inbound", "r-1", "unknown status code", None)
    assert state.report() is first  # fresh enough: served from the cache
    state.invalidate()
    again = state.report()
    assert again is not first and again.regions[REGION]["dead_letters"] == 1
    (state.registry / "index.json").touch()  # a publish elsewhere changes the index: cache dropped
    state.index()
    assert state.report() is not again
    ledger.close()


def test_drill_down_pages_are_fresh_while_the_national_view_is_cached(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from hub.tokens import create_token

    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    token = create_token(ledger.engine, "kemenpan", "coordinator")
    app = create_app(ledger, copy_registry(tmp_path / "registry"), cache_seconds=3600, dashboard=None)
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/overview", headers=headers).json()["totals"]["dead_letters"] == 0
    service = f"{REGION}/akta-kelahiran"
    ledger.quarantine(REGION, service, "inbound", "r-1", "unknown status code", None)
    assert client.get(f"/api/v1/regions/{REGION}", headers=headers).json()["dead_letters"] == 1
    page = client.get(f"/api/v1/services/{service}", headers=headers).json()
    assert page["dead_letter_count"] == 1 and len(page["dead_letters"]) == 1
    ledger.close()
