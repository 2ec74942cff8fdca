"""The dashboard shows a stuck service (issue 18, "no silent failure"): the real hub API on a real uvicorn
over a ledger where the head application of one service failed four times while every run ended "ok" —
the overview counts the region as stuck, one click filters to it with the reason, the next opens the
region, where the service's badge says stuck with the item, its attempts and its (masked) last error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger, NewApplication
from sandbox.serve import serve_in_thread
from tests.conftest import REPO
from tests.dashboard.conftest import assert_no_pii

SERVICE = "35.76/akta-kelahiran"
NIK = "3576014403910003"


@pytest.fixture
def hub_url(tmp_path: Path) -> Iterator[tuple[str, str]]:
    from hub.api.app import create_app
    from hub.tokens import create_token

    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    items = [
        NewApplication(f"APP-{i}", SERVICE, "35.76", "1.0.0", start + timedelta(minutes=i), {"application": {}})
        for i in range(5)
    ]
    ledger.store_new_applications("35.76", SERVICE, items, None, "c1")
    for _ in range(4):
        ledger.mark_sending("APP-0")
        ledger.schedule_retry(
            "APP-0", f"POST /permohonan: HTTP 503: NIK {NIK}", datetime.now(UTC), outcome_unknown=True
        )
    run = ledger.start_run("35.76", SERVICE, "outbound", "w1")
    ledger.finish_run(run, "ok", {"deliver.retry": 1})
    token = create_token(ledger.engine, "Koordinator Nasional", "coordinator")
    server = serve_in_thread(create_app(ledger, REPO / "registry", cache_seconds=0))
    yield server.url, token
    server.stop()
    ledger.close()


def test_a_stuck_service_and_its_reason_in_two_clicks(
    page: Any, hub_url: tuple[str, str], screenshot: Callable[[Any, str], Path]
) -> None:
    url, token = hub_url
    page.goto(f"{url}/#token={token}")
    page.wait_for_selector("#counter-stuck .counter-value")
    assert page.inner_text("#counter-stuck .counter-value") == "1"
    page.click("#counter-stuck")  # click 1: only stuck regions, each with its reason
    rows = page.locator("#regions tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    # the hub's reason in Indonesian, the local system's error as it came
    assert "Kota Mojokerto" in text and "layanan tersendat" in text and "menahan antrean pengiriman" in text
    rows.first.locator("a.region-link").click()  # click 2: the region's services
    page.wait_for_selector("a.service-link")
    service = page.locator("table.data tbody tr", has_text="Penerbitan Akta Kelahiran")
    assert "Tersendat" in service.inner_text()  # the state badge, in Indonesian
    reason = service.locator("[data-key='reason']").inner_text()
    assert "permohonan APP-0 menahan antrean pengiriman setelah 4 percobaan" in reason and "HTTP 503" in reason
    assert NIK not in page.content()
    assert_no_pii(page, "stuck region")
    screenshot(page, "stuck-region")
