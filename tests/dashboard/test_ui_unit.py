"""UI-unit tests: the dashboard in headless chromium, its static files on a real loopback server, the API
answered by ``page.route`` from a picture shaped like the hub API contract (552 regions, a stalled one).
The same behaviour against the real API and ledger: ``test_dashboard_real_api.py``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.dashboard import contract_world as world
from tests.dashboard.conftest import assert_no_pii

Shoot = Callable[[Any, str], Path]
# the hub's own reason, as the Indonesian UI shows it (hub/dashboard/static/reasons.js)
STALLED_REASON_ID = "tidak ada sinkronisasi yang berhasil selama 72 j 0 mnt"


def _open(page: Any, base: str, route: str = "#/", *, raw_personal_data: bool = False) -> list[str]:
    seen = world.route_api(page, raw_personal_data=raw_personal_data)
    page.goto(f"{base}/#token={world.TOKEN}")
    page.wait_for_selector("#counter-live .counter-value")
    if route != "#/":
        page.evaluate("route => { location.hash = route; }", route)
    return seen


def _column(page: Any, table: str, key: str) -> list[str]:
    return [c.strip() for c in page.locator(f"{table} tbody [data-key='{key}']").all_inner_texts()]


def test_overview_shows_the_counters_charts_and_every_region(page: Any, static_server: str, screenshot: Shoot) -> None:
    _open(page, static_server)
    expected = world.overview()["totals"]
    for state in world.STATES:
        value = page.inner_text(f"#counter-{state} .counter-value")
        assert int(value.replace(".", "")) == expected[state], state
    assert page.inner_text("#counter-services .counter-value") == "100.000"  # Indonesian grouping
    assert page.locator("#chart-throughput path.line").count() == 2
    assert page.locator("#chart-lag path.line").count() == 1
    # 552 regions, one page of 50 rows in the DOM
    assert page.locator("#regions tbody tr").count() == 50
    assert "50 dari 552 baris" in page.inner_text(".table-status")
    assert re.search(r"Diperbarui: \d\d[.:]\d\d[.:]\d\d", page.inner_text("#last-updated"))
    assert "token" not in page.url  # the token handed over in the address is gone from it
    assert_no_pii(page, "overview")
    screenshot(page, "ui-overview")


def test_stalled_region_and_its_reason_in_two_clicks(page: Any, static_server: str, screenshot: Shoot) -> None:
    _open(page, static_server)
    page.click("#counter-stalled")  # click 1: the table shows the stalled regions with their last error
    assert page.locator("#regions tbody tr").count() == 1
    row = page.locator("#regions tbody tr").first
    assert STALLED_REASON_ID in row.inner_text()
    row.locator("a.region-link").click()  # click 2: the region page, each service with its last error
    page.wait_for_selector("main h1 >> text=Kota Mojokerto")
    assert page.url.endswith(f"#/region/{world.STALLED}")
    assert STALLED_REASON_ID in page.inner_text(".facts")
    reasons = _column(page, "table.data", "reason")
    assert len(reasons) == 50 and all(STALLED_REASON_ID in r and world.STALLED_ERROR in r for r in reasons)
    page.click("#lang-switch")  # in English: the API's own text
    assert world.STALLED_REASON in page.inner_text(".facts")
    page.click("#lang-switch")
    screenshot(page, "ui-stalled-region")


def test_drill_down_overview_province_region_service(page: Any, static_server: str, screenshot: Shoot) -> None:
    seen = _open(page, static_server)
    page.click("nav.bar >> text=Provinsi")
    page.wait_for_selector("#provinces tbody tr")
    assert page.locator("#provinces tbody tr").count() == 38
    screenshot(page, "ui-provinces")
    page.fill("#provinces-q", "Jawa Timur")
    page.click("#provinces a.province-link")
    page.wait_for_selector("main h1 >> text=Jawa Timur")  # not "Provinsi": the list's own heading has it too
    assert "JAWA TIMUR" in page.inner_text("main h1").upper()
    province_rows = _column(page, "table.data", "code")
    assert province_rows and all(code.startswith("35") for code in province_rows)
    screenshot(page, "ui-province")
    page.fill(".table-block input[type=search]", "mojokerto")
    page.click("a.region-link >> text=Kota Mojokerto")
    page.wait_for_selector("a.service-link")
    page.click("a.service-link >> text=Penerbitan Akta Kelahiran")
    page.wait_for_selector("#applications tbody tr")
    assert page.url.endswith("#/service/35.76/akta-kelahiran")
    assert any(u.endswith("/api/v1/services/35.76/akta-kelahiran") for u in seen), seen[-3:]
    assert page.locator("#applications tbody tr").count() == 50
    assert "3576**********00" in page.inner_text("#applications")
    assert "unmapped local status 'ARSIP'" in page.inner_text("#dead-letters")
    assert_no_pii(page, "service")
    screenshot(page, "ui-service")
    # no per-row fetch: one call per page shown (the region page: its health, and its history beside it)
    assert len([u for u in seen if "/regions/" in u and "/history" not in u]) == 1
    assert len([u for u in seen if "/regions/35.76/history" in u]) == 1


def test_service_page_never_renders_raw_personal_fields(page: Any, static_server: str) -> None:
    """A leaky API (raw NIK, phone, name beside the masked ones; a NIK inside a dead letter's reason)."""
    _open(page, static_server, "#/service/35.76/akta-kelahiran", raw_personal_data=True)
    page.wait_for_selector("#applications tbody tr")
    assert "Siti Aminah" not in page.content()
    assert "3576************" in page.inner_text("#dead-letters")  # the reason's NIK, masked again
    assert_no_pii(page, "service with a leaky API")


def test_sorting_and_filtering(page: Any, static_server: str) -> None:
    _open(page, static_server)
    page.click("#regions th[data-key=code] button")
    codes = _column(page, "#regions", "code")
    assert codes == sorted(codes, key=lambda c: [int(x) for x in c.split(".")]) and codes[0] == "11"
    assert page.get_attribute("#regions th[data-key=code]", "aria-sort") == "ascending"
    page.click("#regions th[data-key=code] button")
    codes_desc = _column(page, "#regions", "code")
    assert codes_desc[0] == "96.74" or codes_desc[0] > codes_desc[-1]
    assert page.get_attribute("#regions th[data-key=code]", "aria-sort") == "descending"
    page.click("#regions th[data-key=backlog] button")
    backlog = [int(v) for v in _column(page, "#regions", "backlog")]
    assert backlog == sorted(backlog)
    page.fill("#regions-q", "surabaya")
    names = _column(page, "#regions", "name")
    assert names == ["Kota Surabaya"]
    page.fill("#regions-q", "")
    page.select_option("#regions-state", "failing")
    states = set(_column(page, "#regions", "state"))
    total = sum(1 for r in world.regions() if r["state"] == "failing")
    assert states == {"Gagal"} and page.locator("#regions tbody tr").count() == total
    page.select_option("#regions-state", "")
    page.click(".pager button >> text=Berikutnya")
    assert "Halaman 2 dari 12" in page.inner_text(".pager")


def test_language_switch_changes_labels_and_is_remembered(page: Any, static_server: str) -> None:
    _open(page, static_server)
    assert page.inner_text("main h1") == "Ringkasan nasional"
    assert "Daerah macet" in page.inner_text("#counter-stalled")
    page.click("#lang-switch")
    assert page.inner_text("main h1") == "National overview"
    assert "Regions stalled" in page.inner_text("#counter-stalled")
    assert page.inner_text("#regions th[data-key=reason]") == "Reason"
    assert page.get_attribute("html", "lang") == "en"
    page.reload()
    page.wait_for_selector("#counter-live .counter-value")
    assert page.inner_text("main h1") == "National overview"
    page.click("#lang-switch")
    assert page.inner_text("main h1") == "Ringkasan nasional"


def test_login_box_refuses_a_bad_token_and_keeps_a_good_one_for_the_tab(page: Any, static_server: str) -> None:
    world.route_api(page)
    page.goto(static_server + "/")
    page.wait_for_selector("#login:not([hidden])")
    page.fill("#token-input", "wrong")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "Token ditolak" in page.inner_text("#login-error")
    page.fill("#token-input", world.TOKEN)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#counter-live .counter-value")
    assert page.evaluate("sessionStorage.getItem('mpphub.token')") == world.TOKEN
    page.reload()
    page.wait_for_selector("#counter-live .counter-value")  # no second sign-in in the same tab
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('mpphub.token')") is None


def test_auto_refresh_every_30_seconds_keeps_the_filter(page: Any, static_server: str) -> None:
    page.clock.install()
    seen = _open(page, static_server)
    page.fill("#regions-q", "surabaya")
    before = len([u for u in seen if u.endswith("/api/v1/overview")])
    with page.expect_request("**/api/v1/overview"):
        page.clock.run_for(31_000)
    page.wait_for_function("() => document.querySelectorAll('#regions tbody tr').length === 1")
    assert len([u for u in seen if u.endswith("/api/v1/overview")]) > before
    assert page.input_value("#regions-q") == "surabaya"
    assert _column(page, "#regions", "name") == ["Kota Surabaya"]


def test_narrow_screen_layout(page: Any, static_server: str, screenshot: Shoot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _open(page, static_server)
    # the page itself does not scroll sideways; wide tables scroll inside their own box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "ui-overview-narrow")


def test_hostile_text_from_the_api_is_shown_as_text_never_run(page: Any, static_server: str) -> None:
    import json

    world.route_api(page)
    hostile = dict(world.regions()[0], code="35.99", state="failing")
    hostile |= {"name": "<img src=x onerror=window.pwned=1>", "reason": "<script>window.pwned=2</script>"}

    def regions(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps([hostile]))

    page.route("**/api/v1/regions", regions)
    page.goto(f"{static_server}/#token={world.TOKEN}")
    page.wait_for_selector("#regions tbody tr a.region-link")
    assert page.inner_text("#regions a.region-link") == hostile["name"]
    assert "<script>window.pwned=2</script>" in page.inner_text("#regions tbody")
    assert page.locator("#regions img, #regions tbody script").count() == 0
    assert page.evaluate("window.pwned") is None


def test_service_statuses_are_labelled_in_the_active_language(page: Any, static_server: str) -> None:
    _open(page, static_server, "#/service/35.76/akta-kelahiran")
    page.wait_for_selector("#applications tbody tr")
    assert set(_column(page, "#applications", "status")) == {"Diterima", "Verifikasi", "Diproses", "Disetujui"}
    page.click("#lang-switch")
    page.wait_for_selector("#applications th >> text=Application status")
    assert set(_column(page, "#applications", "status")) == {"Received", "Verifying", "Processing", "Approved"}
    assert page.inner_text("main h1").startswith("Service ")


def test_the_page_loads_nothing_from_elsewhere(page: Any, static_server: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    _open(page, static_server, "#/region/35.76")
    page.wait_for_selector("a.service-link")
    assert requested and all(url.startswith(static_server) for url in requested), requested
    assert violations == []
