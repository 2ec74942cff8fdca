"""Write the dashboard's screenshots for docs/dashboard.md into docs/screenshots/ (run by hand, not by pytest):

    .venv/bin/python -m tests.dashboard.screenshots

The real hub API on a loopback uvicorn over a throw-away ledger with dead letters of every kind
(``tests/hub/dead_letter_world.py``), Debian's chromium (``MPPHUB_CHROMIUM``), an operator's token: the
overview and the dead-letter page at 1,400 px and at 400 px, each cut at ``MAX_HEIGHT`` pixels; also the
provinces' tile map and a region's page with a fortnight of history (hourly rows made up by
``seed_history``: a working-day backlog, a bad afternoon, a night the sync was off).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from connectors.ledger.history import hour_of
from connectors.ledger.models import RegionHistory
from connectors.ledger.store import Ledger
from sandbox.serve import serve_in_thread
from tests.conftest import REPO
from tests.hub import dead_letter_world as dl

TARGET = REPO / "docs" / "screenshots"
MAX_HEIGHT = 1500
PAGES = {"overview": "#/", "dead-letters": "#/dead-letters", "templates": "#/templates"}
WAIT_FOR = {"overview": "#regions", "dead-letters": "#dead-letter-table tbody tr", "templates": "#templates tbody tr"}
# the provinces' tile map, and a region's page with its history chart
PAGES |= {"map": "#/map", "region-history": f"#/region/{dl.REGION}"}
WAIT_FOR |= {"map": "#tile-map a.tile", "region-history": "#chart-history-lag svg"}


def seed_history(ledger: Ledger, region: str, days: int = 14) -> None:
    """A made-up fortnight of ``region_history`` rows for the screenshot: the backlog rises in working hours
    (WIB) and drains at night, the sync failed one afternoon four days ago, and was off for a night."""
    now = hour_of(datetime.now(UTC))
    rows = []
    for hours_ago in range(days * 24 - 1, -1, -1):
        hour = now - timedelta(hours=hours_ago)
        if 9 * 24 + 14 <= hours_ago < 9 * 24 + 22:
            continue  # the night the sync was off: no row, a gap in the chart
        wib = (hour.hour + 7) % 24
        working = 8 <= wib < 16 and (hour + timedelta(hours=7)).weekday() < 5
        bad = 4 * 24 <= hours_ago < 4 * 24 + 5
        backlog = int(6 + (30 * math.sin(math.pi * (wib - 8) / 8) if working else 0) + (45 if bad else 0))
        rows.append(
            {
                "region": region,
                "hour": hour,
                "lag_seconds": 240 + (5400 if bad else 0) + (900 if working else 0),
                "backlog": backlog,
                "failures": 6 if bad else 0,
                "dead_letters": 1 if hours_ago > 4 * 24 else 4,
                "samples": 12,
                "updated_at": hour + timedelta(minutes=55),
            }
        )
    with ledger.engine.begin() as conn:
        conn.execute(insert(RegionHistory), rows)


def main() -> int:
    """Start the hub, take the screenshots, stop; prints each file written."""
    from playwright.sync_api import sync_playwright

    from hub.api.app import create_app
    from hub.tokens import create_token

    os.environ.setdefault("MPPHUB_ALLOW_LOOPBACK", "1")
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        dl.seed(ledger)
        seed_history(ledger, dl.REGION)
        token = create_token(ledger.engine, "ops-nasional", "operator")
        server = serve_in_thread(create_app(ledger, REPO / "registry", cache_seconds=0))
        TARGET.mkdir(parents=True, exist_ok=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=os.environ.get("MPPHUB_CHROMIUM", "/usr/bin/chromium"), headless=True
                )
                for width in (1400, 400):
                    context = browser.new_context(viewport={"width": width, "height": 900}, locale="id-ID")
                    tab = context.new_page()
                    tab.goto(f"{server.url}/#token={token}")
                    tab.wait_for_selector("#regions tbody tr .badge")
                    for name, route in PAGES.items():
                        tab.evaluate("route => { location.hash = route; }", route)
                        tab.wait_for_selector(WAIT_FOR[name])
                        tab.wait_for_timeout(300)  # the charts' and the table's last layout
                        # on a phone the overview's counters and charts fill the first screens: show its table
                        top = 0
                        if name in ("overview", "region-history") and width < 640:  # and the region's facts
                            heading = "regions-h" if name == "overview" else "history-h"
                            script = "id => document.getElementById(id).getBoundingClientRect().top"
                            top = int(tab.evaluate(script, heading))
                        total = int(tab.evaluate("document.documentElement.scrollHeight"))
                        height = min(MAX_HEIGHT, total - top)
                        path = TARGET / f"{name}-{width}.png"
                        clip: Any = {"x": 0, "y": top, "width": width, "height": height}  # Playwright's Clip
                        tab.screenshot(path=str(path), full_page=True, clip=clip)
                        print(path.relative_to(REPO))
                    context.close()
                browser.close()
        finally:
            server.stop()
            ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
