"""Write the dashboard's screenshots for docs/dashboard.md into docs/screenshots/ (run by hand, not by pytest):

    .venv/bin/python -m tests.dashboard.screenshots

The real hub API on a loopback uvicorn over a throw-away ledger with dead letters of every kind
(``tests/hub/dead_letter_world.py``), Debian's chromium (``MPPHUB_CHROMIUM``), an operator's token: the
overview and the dead-letter page at 1,400 px and at 400 px, each cut at ``MAX_HEIGHT`` pixels.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from connectors.ledger.store import Ledger
from sandbox.serve import serve_in_thread
from tests.conftest import REPO
from tests.hub import dead_letter_world as dl

TARGET = REPO / "docs" / "screenshots"
MAX_HEIGHT = 1500
PAGES = {"overview": "#/", "dead-letters": "#/dead-letters"}


def main() -> int:
    """Start the hub, take the screenshots, stop; prints each file written."""
    from playwright.sync_api import sync_playwright

    from hub.api.app import create_app
    from hub.tokens import create_token

    os.environ.setdefault("MPPHUB_ALLOW_LOOPBACK", "1")
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        dl.seed(ledger)
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
                        tab.wait_for_selector("#dead-letter-table tbody tr" if name == "dead-letters" else "#regions")
                        tab.wait_for_timeout(300)  # the charts' and the table's last layout
                        # on a phone the overview's counters and charts fill the first screens: show its table
                        top = 0
                        if name == "overview" and width < 640:
                            top = int(tab.evaluate("document.getElementById('regions-h').getBoundingClientRect().top"))
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
