"""The standardisation page (#/templates, standards.js) against the real hub API (``create_app`` on a
loopback uvicorn over a copy of the sample registry in which nasional/izin-penelitian 1.1.0 is published
and one region moved to it): per template the adopting packages, regions, versions, how many lag behind,
the most divergent packages linking to their service pages; a region token sees its own packages only;
the nav link in both languages; usable at 1,400 px and 400 px (issue 11, item 5)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from registry.templates import forget_cached_templates
from sandbox.serve import serve_in_thread
from tests.conftest import REPO

Shoot = Callable[[Any, str], Path]


@dataclass
class Hub:
    url: str
    tokens: dict[str, str]


@pytest.fixture
def hub(tmp_path: Path, cli: Any) -> Iterator[Hub]:
    from hub.api.app import create_app
    from hub.tokens import create_token

    registry = tmp_path / "registry"
    shutil.copytree(REPO / "registry", registry, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    forget_cached_templates()
    source = registry / "templates/nasional/izin-penelitian.json"
    doc = json.loads(source.read_text(encoding="utf-8"))
    doc["template"]["version"] = "1.1.0"
    doc["form"]["properties"]["orcid"] = {"type": "string", "title": "ORCID", "maxLength": 19}
    source.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert cli("publish", "--registry", registry, source).code == 0
    assert cli("upgrade", "35.02/izin-penelitian", "--registry", registry).code == 0
    assert cli("publish", "--registry", registry, registry / "packages/35.02/izin-penelitian.json").code == 0
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'hub.db'}")
    tokens = {
        "coordinator": create_token(ledger.engine, "kemenpan", "coordinator"),
        "region": create_token(ledger.engine, "tim-ponorogo", "region", "35.02"),
    }
    server = serve_in_thread(create_app(ledger, registry, cache_seconds=0))
    yield Hub(server.url, tokens)
    server.stop()
    ledger.close()


def _open(page: Any, hub: Hub, role: str) -> None:
    page.goto(f"{hub.url}/#token={hub.tokens[role]}")
    page.wait_for_selector("#whoami:has-text('·')")
    page.click("nav.bar a[href='#/templates']")  # the nav link leads there
    page.wait_for_selector("#templates tbody tr")


def _row(page: Any, template_id: str) -> Any:
    return page.locator("#templates tbody tr", has=page.locator(f"code:text-is('{template_id}')"))


def test_coordinator_sees_adoption_versions_and_who_lags(page: Any, hub: Hub, screenshot: Shoot) -> None:
    _open(page, hub, "coordinator")
    assert page.locator("nav.bar a[href='#/templates']").inner_text() == "Standardisasi"
    assert page.locator("#main h1").inner_text() == "Standardisasi paket"
    row = _row(page, "nasional/izin-penelitian")
    cells = row.locator("th, td")
    assert cells.nth(2).inner_text() == "10" and cells.nth(3).inner_text() == "10"  # packages, regions
    versions = cells.nth(4).inner_text()
    assert "1.0.0: 9" in versions and "1.1.0: 1" in versions and "terbaru" in versions
    assert cells.nth(5).inner_text() == "9"  # behind the latest
    divergent = cells.nth(6).locator("li")
    assert divergent.count() == 5  # the API's top 5
    # 35.02's overlay, rewritten by `mpphub upgrade`, is the longest; it is on the latest, so not marked
    assert (
        divergent.first.inner_text().startswith("35.02/izin-penelitian") and "pada" not in divergent.first.inner_text()
    )
    assert "13 baris · pada 1.0.0" in divergent.nth(1).inner_text()  # the others lag behind
    assert divergent.nth(1).locator("a").get_attribute("href") == "#/service/35.01/izin-penelitian"
    profile = _row(page, "nasional/sipena").locator("td").nth(0).inner_text()
    assert profile == "Profil konektor"
    # the most adopted first (the default sort), and the summary counts the service templates
    assert page.locator("#templates tbody tr").first.locator("code").inner_text() in {
        "nasional/izin-penelitian",
        "nasional/sipena",
    }
    assert "tertinggal dari versi terbaru" in page.locator("#std-summary").inner_text()
    page.fill("#templates-q", "akta-kelahiran")  # the table's filter
    assert page.locator("#templates tbody tr").count() == 1
    page.fill("#templates-q", "")
    page.click("#lang-switch")
    assert page.locator("#main h1").inner_text() == "Package standardisation"
    assert "13 lines · on 1.0.0" in _row(page, "nasional/izin-penelitian").locator("td").nth(5).inner_text()
    page.set_viewport_size({"width": 1400, "height": 900})
    screenshot(page, "templates-1400")


def test_region_team_sees_national_counts_and_its_own_packages(page: Any, hub: Hub) -> None:
    _open(page, hub, "region")
    assert "daerah Anda" in page.locator("p.intro").inner_text()
    cells = _row(page, "nasional/izin-penelitian").locator("th, td")
    assert cells.nth(2).inner_text() == "10"  # national counts
    packages = cells.nth(6).locator("li")
    assert packages.count() == 1 and "35.02/izin-penelitian" in packages.inner_text()
    assert "pada" not in packages.inner_text()  # on the latest: not marked
    assert _row(page, "nasional/akta-kelahiran").locator("td").nth(5).inner_text() == "—"


def test_usable_at_400_px(page: Any, hub: Hub, screenshot: Shoot) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    _open(page, hub, "coordinator")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways at 400 px ({width} px wide)"
    row = _row(page, "nasional/izin-penelitian")
    for label in ("Paket mengadopsi", "Tertinggal", "Paling berbeda"):  # each card names its fields
        assert row.locator(f"[data-label='{label}']").is_visible()
    box = row.locator("[data-label='Paling berbeda'] a").first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 400
    screenshot(page, "templates-400")
