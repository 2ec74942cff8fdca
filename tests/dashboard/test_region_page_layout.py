"""A region's page fits the screen at 1,400 px and at 400 px: its services table stays inside its card, with
every service's name, state, reason and numbers shown in full (wrapped, never cut off).

Against the real hub API over the dead-letter ledger (``tests/hub/dead_letter_world.py``: the shipped
registry's services, whose longest names once pushed the table 140 px past its card at 1,400 px), and a
routed worst case in both languages: long names, a service known only by its long id, long categories,
a stalled region's reason and error on every row, big counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from sandbox.serve import serve_in_thread
from tests.conftest import REPO
from tests.dashboard import contract_world as world
from tests.hub import dead_letter_world as dl

Shoot = Callable[[Any, str], Path]
WIDTHS = [1400, 400]

# What overflows looks like from inside the page: the document wider than the window, a table wider than
# its card (the .table-scroll box), or a cell whose content is wider than the cell (cut off or spilling).
OVERFLOW = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > innerWidth + 1) out.push(`page ${doc.scrollWidth} > window ${innerWidth}`);
  for (const box of document.querySelectorAll('main .table-scroll')) {
    const table = box.querySelector('table');
    if (box.scrollWidth > box.clientWidth + 1) out.push(`${table.id}: table ${box.scrollWidth} > card ${box.clientWidth}`);
    const card = box.getBoundingClientRect();
    if (card.right > innerWidth + 1) out.push(`${table.id}: card ends at ${card.right} > window ${innerWidth}`);
    for (const cell of table.querySelectorAll('tbody th, tbody td')) {
      if (cell.scrollWidth > cell.clientWidth + 1) out.push(`${table.id} ${cell.dataset.key}: ${cell.scrollWidth} > ${cell.clientWidth}`);
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The real hub API over the dead-letter ledger; (its URL, an operator's token)."""
    from hub.api.app import create_app
    from hub.tokens import create_token

    ledger = Ledger.open(f"sqlite:///{tmp_path_factory.mktemp('hub') / 'ledger.db'}")
    dl.seed(ledger)
    token = create_token(ledger.engine, "ops-nasional", "operator")
    server = serve_in_thread(create_app(ledger, REPO / "registry", cache_seconds=0))
    yield server.url, token
    server.stop()
    ledger.close()


def _services_shown(page: Any, region: str) -> None:
    page.evaluate("route => { location.hash = route; }", f"#/region/{region}")
    page.wait_for_selector(f"[id='services-{region}'] tbody tr [data-key=state] .badge")
    page.wait_for_timeout(100)  # the table's last layout


def _fits(page: Any) -> None:
    overflow = page.evaluate(OVERFLOW)
    assert overflow == [], overflow
    # nothing is hidden to make it fit: every cell's text is on screen, inside the window
    width = page.evaluate("innerWidth")
    for box in page.locator("main .table-scroll tbody [data-key=name]").all()[:5]:
        bounds = box.bounding_box()
        assert bounds is not None and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= width + 1, bounds


@pytest.mark.parametrize("width", WIDTHS)
def test_the_services_table_fits_its_card_on_the_real_hub(
    page: Any, hub: tuple[str, str], width: int, screenshot: Shoot
) -> None:
    url, token = hub
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{url}/#token={token}")
    page.wait_for_selector("#whoami:has-text('·')")
    for region in (dl.OTHER_REGION, dl.REGION):
        _services_shown(page, region)
        _fits(page)
    # the longest of the shipped registry's names, whole
    assert "Izin Penyelenggaraan Angkutan Orang dalam Trayek Perkotaan" in page.inner_text("main table.data")
    screenshot(page, f"region-layout-hub-{width}")


def _worst_case(region: dict[str, Any]) -> dict[str, Any]:
    """The contract's stalled region with what makes a services table widest."""
    listed = world.services(region)[:12]
    long_names = [
        "Izin Penyelenggaraan Angkutan Orang dalam Trayek Perkotaan dan Angkutan Antarjemput",
        "Konfirmasi Kesesuaian Kegiatan Pemanfaatan Ruang (KKPR) untuk Kegiatan Berusaha",
        "Surat Pernyataan Tanggung Jawab Mutlak (SPTJM) Kebenaran Data Kelahiran",
    ]
    for row, name in zip(listed, long_names, strict=False):
        row |= {"name": name, "name_en": f"{name} (English)", "category": "perizinan-berusaha-berbasis-risiko"}
    # no name at all: the table shows the service's id, one long word
    listed[3] |= {"name": None, "service_id": f"{region['code']}/izin-penyelenggaraan-angkutan-orang-trayek-perkotaan"}
    listed[0] |= {
        "dead_letters": 12_345,
        "backlog": 1_234_567,
        "failures": 98_765,
        "sla_breaches": 4_321,
        "version": "12.10.3",
    }
    return {**region, "service_count": len(listed), "services": listed}


@pytest.mark.parametrize("english", [False, True], ids=["id", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_services_table_fits_its_card_in_the_worst_case(
    page: Any, static_server: str, width: int, english: bool, screenshot: Shoot
) -> None:
    region = next(r for r in world.regions() if r["code"] == world.STALLED)
    world.route_api(page)
    body = json.dumps(_worst_case(region))
    page.route(
        f"**/api/v1/regions/{world.STALLED}",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{static_server}/#token={world.TOKEN}")
    page.wait_for_selector("#counter-live .counter-value")
    if english:
        page.click("#lang-switch")
    _services_shown(page, world.STALLED)
    _fits(page)
    table = page.inner_text(f"[id='services-{world.STALLED}']")
    long_id = f"{world.STALLED}/izin-penyelenggaraan-angkutan-orang-trayek-perkotaan"
    for text in (
        "Trayek Perkotaan dan Angkutan Antarjemput",
        long_id,
        world.STALLED_ERROR,
        "1.234.567" if not english else "1,234,567",
    ):
        assert text in table.replace("\n", " "), text
    screenshot(page, f"region-layout-worst-{'en' if english else 'id'}-{width}")
