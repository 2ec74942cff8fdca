"""The provinces' tile map (#/map, hub/dashboard/static/map.js) and the region's history chart.

UI-unit part: the static files on a loopback server, the API answered by ``page.route`` with provinces in
every state — 38 tiles, each a link coloured as its state's badge and labelled for a screen reader, a click
(or Enter) opens the province, a province without services has an empty page, and at 400 px the map scrolls
inside its box, never the page. Real-API part: a ledger whose ``region_history`` the sync wrote, the
region page's charts drawn from ``GET /regions/{code}/history``, the map's tile as ``/provinces`` says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from connectors.ledger.history import hour_of
from connectors.ledger.store import Ledger, NewApplication
from sandbox.serve import serve_in_thread
from tests.conftest import REPO
from tests.dashboard.conftest import assert_no_pii

Shoot = Callable[[Any, str], Path]
TOKEN = "map-unit-token"  # noqa: S105 - a made-up token for routed responses
# province code -> the worst state among its regions (the rest of the 38 have no published service)
STATES = {"11": "live", "32": "stalled", "35": "failing", "73": "stuck", "91": "onboarding", "51": "live"}
NAMES = {"11": "Aceh", "32": "Jawa Barat", "35": "Jawa Timur", "73": "Sulawesi Selatan", "91": "Papua", "51": "Bali"}


def _province(code: str, state: str) -> dict[str, Any]:
    counts = {s: 0 for s in ("live", "onboarding", "failing", "stalled", "stuck")}
    counts[state] = 1
    if state != "onboarding":
        counts["live"] += 2  # live regions beside the worst one: the tile shows the worst
    return {
        "code": code,
        "name": NAMES[code],
        "regions": sum(counts.values()),
        **counts,
        "backlog": 4,
        "dead_letters": 3 if code == "35" else 0,
        "sla_breaches": 0,
    }


def _answer(url: str) -> tuple[int, Any]:
    path = unquote(urlsplit(url).path)
    if path == "/api/v1/me":
        return 200, {"name": "Koordinator Uji", "role": "coordinator", "region": None}
    if path == "/api/v1/provinces":
        return 200, [_province(code, state) for code, state in STATES.items()]
    if path == "/api/v1/regions":
        return 200, []
    if path == "/api/v1/overview":
        totals = dict.fromkeys(("regions", "live", "onboarding", "failing", "stalled", "stuck", "services"), 0)
        totals |= dict.fromkeys(("applications", "delivered", "backlog", "dead_letters", "sla_breaches"), 0)
        return 200, {"generated_at": "2026-12-07T03:00:00Z", "totals": totals, "series": []}
    return 404, {"error": "not routed"}


def _open_map(page: Any, base: str) -> None:
    def handle(route: Any) -> None:
        status, body = _answer(route.request.url)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/**", handle)
    page.goto(f"{base}/#token={TOKEN}")
    page.wait_for_selector("main h1")
    page.click("nav.bar a[href='#/map']")
    page.wait_for_selector("#tile-map a.tile")


def _badge_colour(page: Any, state: str) -> str:
    """The background colour of the state's badge, as the tables show it."""
    return str(
        page.evaluate(
            """state => {
                const badge = document.createElement("span");
                badge.className = `badge state-${state}`;
                document.body.append(badge);
                const colour = getComputedStyle(badge).backgroundColor;
                badge.remove();
                return colour;
            }""",
            state,
        )
    )


def test_the_map_has_38_tiles_coloured_by_health(page: Any, static_server: str, screenshot: Shoot) -> None:
    _open_map(page, static_server)
    tiles = page.locator("#tile-map a.tile")
    assert tiles.count() == 38
    codes = tiles.evaluate_all("els => els.map(e => e.dataset.code)")
    assert len(set(codes)) == 38
    for code in codes:  # every province, each in a cell of its own
        assert page.locator(f"#tile-{code}").get_attribute("href") == f"#/province/{code}"
    cells = tiles.evaluate_all("els => els.map(e => `${e.style.gridRow}/${e.style.gridColumn}`)")
    assert len(set(cells)) == 38, "two tiles share a cell"
    for code, state in STATES.items():
        tile = page.locator(f"#tile-{code}")
        assert tile.get_attribute("data-state") == state
        colour = tile.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == _badge_colour(page, state), f"{code} {state}: the tile is coloured as the badge"
    # the others: no published service, grey, said so
    grey = page.locator("#tile-52")
    assert grey.get_attribute("data-state") == "none"
    assert grey.get_attribute("aria-label") == "Nusa Tenggara Barat (52) — Belum ada layanan"
    assert grey.evaluate("e => getComputedStyle(e).backgroundColor") != _badge_colour(page, "live")
    # what a screen reader hears: the province, its state and counts (the tile shows abbreviation and count)
    east_java = page.locator("#tile-35")
    label = east_java.get_attribute("aria-label")
    assert label.startswith("Jawa Timur (35) — Gagal — 3 daerah — 1 gagal") and "3 surat mati" in label
    assert east_java.inner_text().split() == ["JI", "3"]
    # roughly where the islands lie: Aceh top left, Papua right, Java / Bali / Nusa Tenggara at the bottom
    box = {c: page.locator(f"#tile-{c}").bounding_box() for c in ("11", "91", "32", "53", "64")}
    assert box["11"]["x"] < box["32"]["x"] < box["53"]["x"] < box["91"]["x"]
    assert box["11"]["y"] < box["64"]["y"] < box["32"]["y"] and abs(box["32"]["y"] - box["53"]["y"]) < 2
    assert_no_pii(page, "the map")
    screenshot(page, "tile-map")
    page.click("#lang-switch")
    assert page.locator("#tile-52").get_attribute("aria-label") == "Nusa Tenggara Barat (52) — No service yet"
    assert page.locator("#tile-35").get_attribute("aria-label").startswith("Jawa Timur (35) — Failing")


def test_a_tile_leads_to_its_province_by_click_and_by_keyboard(page: Any, static_server: str) -> None:
    _open_map(page, static_server)
    page.click("#tile-11")
    page.wait_for_selector("main h1 >> text=Aceh")
    assert page.url.endswith("#/province/11")
    page.go_back()
    page.wait_for_selector("#tile-35")
    page.focus("#tile-35")  # a link: in the tab order, Enter follows it
    assert page.evaluate("document.activeElement.id") == "tile-35"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('tile')")
    page.focus("#tile-35")
    page.keyboard.press("Enter")
    page.wait_for_selector("main h1 >> text=Jawa Timur")
    assert page.url.endswith("#/province/35")
    # a grey tile's province: an empty page with its name, not an error
    page.evaluate("location.hash = '#/province/52'")
    page.wait_for_selector("main h1 >> text=Nusa Tenggara Barat")
    assert page.locator("#error").is_hidden()
    assert page.inner_text("#counter-regions .counter-value") == "0"


def test_at_400_px_the_map_scrolls_in_its_box_not_the_page(browser: Any, static_server: str, screenshot: Shoot) -> None:
    context = browser.new_context(viewport={"width": 400, "height": 800}, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _open_map(page, static_server)
        widths = page.evaluate(
            """() => ({page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
                       box: document.querySelector('.tile-map-scroll').scrollWidth,
                       shown: document.querySelector('.tile-map-scroll').clientWidth,
                       tile: document.querySelector('#tile-11').getBoundingClientRect().width})"""
        )
        assert widths["page"] <= widths["view"] == 400, widths
        assert widths["box"] > widths["shown"], "the map scrolls inside its box"
        assert widths["tile"] >= 40, "tiles stay large enough to tap"
        page.locator(".tile-map-scroll").evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        papua = page.locator("#tile-91").bounding_box()
        assert papua["x"] + papua["width"] <= 400, "scrolled: Papua is on screen"
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        screenshot(page, "tile-map-400")
    finally:
        context.close()
    assert errors == []


# --- the real API ---------------------------------------------------------------------------------

REGION = "35.76"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    """The hub on a loopback uvicorn over a ledger with a fortnight of hourly history of one region, with
    a gap (the sync did not run for half a day) and a bad afternoon."""
    from hub.api.app import create_app
    from hub.tokens import create_token

    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    now = datetime.now(UTC)
    start = hour_of(now) - timedelta(days=13)
    written = 0
    for hours in range(13 * 24 + 1):
        if 100 <= hours < 112:
            continue  # no cycle ran: no point
        at = start + timedelta(hours=hours, minutes=5)
        bad = 200 <= hours < 210
        ledger.record_region_history({REGION: 4 if bad else 0}, now=at)
        written += 1
    # what waits now: applications taken in 90 minutes ago, the current hour's sample
    items = [
        NewApplication(f"APP-{i}", f"{REGION}/akta-kelahiran", REGION, "1.0.0", now - timedelta(minutes=90), {})
        for i in range(6)
    ]
    ledger.store_new_applications(REGION, f"{REGION}/akta-kelahiran", items, None, "c1")
    ledger.record_region_history({REGION: 0}, now=now)
    if hour_of(now) != hour_of(start + timedelta(hours=13 * 24, minutes=5)):
        written += 1
    token = create_token(ledger.engine, "Koordinator Nasional", "coordinator")
    server = serve_in_thread(create_app(ledger, REPO / "registry", cache_seconds=0))
    yield server.url, token, written
    server.stop()
    ledger.close()


def test_the_region_page_charts_its_history(page: Any, hub: tuple[str, str, int], screenshot: Shoot) -> None:
    url, token, written = hub
    page.goto(f"{url}/#token={token}")
    page.wait_for_selector("#regions")
    page.evaluate("code => { location.hash = `#/region/${code}`; }", REGION)
    page.wait_for_selector("#chart-history-lag svg")
    assert "Riwayat 14 hari terakhir" in page.inner_text("#region-history h2")
    lag = page.locator("#chart-history-lag")
    assert lag.get_attribute("data-points") == str(written)
    assert lag.locator("path.line").count() == 1
    queue = page.locator("#chart-history-queue")
    assert queue.locator("path.line").evaluate_all("els => els.map(e => e.dataset.series)") == [
        "backlog",
        "failures",
        "dead_letters",
    ]
    # the gap of half a day breaks the line: two strokes (M) where the sync did not run
    failures = queue.locator("path[data-series='failures']").get_attribute("d")
    assert failures.count("M") == 2
    # the latest hour: 6 applications waiting for 90 minutes, in the chart's accessible summary
    summary = lag.locator("svg > title").first.text_content()
    assert "1 j 30 mnt" in summary
    assert "Antrean: 6" in queue.locator("svg > title").first.text_content()
    assert page.locator("#chart-history-queue text.tick").count() >= 6, "day labels along the fortnight"
    assert_no_pii(page, "region history")
    screenshot(page, "region-history")


def test_the_real_map_follows_the_real_health(page: Any, hub: tuple[str, str, int]) -> None:
    url, token, _ = hub
    page.goto(f"{url}/#token={token}")
    page.wait_for_selector("#regions")
    page.click("nav.bar a[href='#/map']")
    page.wait_for_selector("#tile-35")
    provinces = page.evaluate(
        """async token => (await (await fetch('/api/v1/provinces',
             {headers: {Authorization: `Bearer ${token}`}})).json())""",
        token,
    )
    (east_java,) = provinces
    worst = next((s for s in ("failing", "stuck", "stalled") if east_java[s]), None)
    expected = worst or ("live" if east_java["live"] else "onboarding")
    assert page.locator("#tile-35").get_attribute("data-state") == expected
    assert page.locator("#tile-35 .tile-count").inner_text() == str(east_java["regions"])
    assert page.locator("#tile-map a.tile[data-state='none']").count() == 37
