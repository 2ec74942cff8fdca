"""The dashboard shows what waits on the national side: a stalled region's page (real hub API on loopback,
real sandbox national layer) lists the applications waiting nationally, and says "unknown" — not 0 — when
the national layer cannot be asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.ledger.store import Ledger
from connectors.national import NationalClient
from hub.health.national import NationalBacklog
from sandbox.serve import serve_in_thread
from tests.hub.conftest import copy_registry
from tests.hub.test_health_truth import REGION, SERVICE, _stalled_region
from tests.sandbox.fixtures_national import NationalServer


def test_region_and_service_pages_show_the_national_backlog(
    page: Any, tmp_path: Path, start_national: Callable[..., NationalServer]
) -> None:
    from hub.api.app import create_app
    from hub.tokens import create_token

    national = start_national()
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    _stalled_region(ledger, national)
    token = create_token(ledger.engine, "Koordinator Nasional", "coordinator")
    asked = NationalBacklog(lambda: NationalClient(national.url, national.token, timeout=3.0))
    app = create_app(ledger, copy_registry(tmp_path / "registry"), cache_seconds=0, national=asked)
    server = serve_in_thread(app)
    try:
        page.goto(f"{server.url}/#token={token}")
        page.wait_for_selector("#counter-live .counter-value")
        page.goto(f"{server.url}/#/region/{REGION}")
        page.wait_for_selector("a.service-link")
        facts = page.inner_text(".facts")
        assert "Menunggu di layanan nasional\n12" in facts, facts
        assert "Antrean\n14" in facts, facts
        assert "Selesai terlambat (30 hari terakhir)\n0" in facts, facts
        page.goto(f"{server.url}/#/service/{SERVICE}")
        page.wait_for_selector("#applications")
        assert "Menunggu di layanan nasional\n12" in page.inner_text(".facts")
        app.state.hub.national = None  # the national layer not asked: unknown, never 0
        page.goto(f"{server.url}/#/region/35.78")
        page.wait_for_selector("a.service-link")
        facts = page.inner_text(".facts")
        assert "Menunggu di layanan nasional\ntidak diketahui" in facts, facts
    finally:
        server.stop()
        ledger.close()
