"""The national dead-letter page against the real hub API (``create_app`` on a loopback uvicorn over a ledger
holding dead letters of every kind, ``tests/hub/dead_letter_world.py``): filters, server-side pages, the
local reference, an operator's replay with its confirmation (audited), the refusal for coordinators and
region teams, the badge on the overview, a region team's title, the province in the breadcrumbs, and the
400 px layout (state and reason on screen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from sandbox.serve import serve_in_thread
from tests.conftest import REPO
from tests.dashboard.conftest import assert_no_pii
from tests.hub import dead_letter_world as dl

Shoot = Callable[[Any, str], Path]


@dataclass
class Hub:
    url: str
    ledger: Ledger
    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    from hub.api.app import create_app
    from hub.tokens import create_token

    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    ids = dl.seed(ledger)
    tokens = {
        "operator": create_token(ledger.engine, "ops-nasional", "operator"),
        "coordinator": create_token(ledger.engine, "kemenpan", "coordinator"),
        "region": create_token(ledger.engine, "tim-mojokerto", "region", dl.REGION),
    }
    server = serve_in_thread(create_app(ledger, REPO / "registry", cache_seconds=0))
    yield Hub(server.url, ledger, ids, tokens)
    server.stop()
    ledger.close()


def _open(page: Any, hub: Hub, role: str, route: str = "#/dead-letters") -> None:
    page.goto(f"{hub.url}/#token={hub.tokens[role]}")
    page.wait_for_selector("#whoami:has-text('·')")
    page.evaluate("route => { location.hash = route; }", route)
    if route.startswith("#/dead-letters"):
        page.wait_for_selector("#dead-letter-table tbody tr")


def _rows(page: Any) -> Any:
    return page.locator("#dead-letter-table tbody tr[data-id]")


def test_the_page_lists_filters_and_pages_with_the_local_reference(page: Any, hub: Hub) -> None:
    _open(page, hub, "coordinator")
    assert page.inner_text("main h1") == "Surat mati nasional"
    assert page.inner_text("#dl-total") == f"{4 + dl.BULK} surat mati terbuka"
    assert _rows(page).count() == 50 and "Halaman 1 dari 3" in page.inner_text(".pager")
    page.click("#dl-next")
    page.wait_for_selector(".pager >> text=Halaman 2 dari 3")
    assert _rows(page).count() == 50
    # filter by region: Kota Mojokerto's four, each with the local system's reference
    page.select_option("#dl-region", dl.REGION)
    page.click("#dl-apply")
    page.wait_for_selector("#dl-total >> text=4 surat mati terbuka")
    assert f"region={dl.REGION}" in page.url
    event = page.locator(f"#dead-letter-table tr[data-id='{hub.ids['event']}']")
    assert dl.LOCAL_REFERENCE in event.locator("[data-key=local_reference]").inner_text()
    assert "EV-NAT-0-2" in event.inner_text()  # the hub's own id too, beside it
    record = page.locator(f"#dead-letter-table tr[data-id='{hub.ids['record']}']")
    assert dl.RECORD_REFERENCE in record.inner_text()
    # the hub's own reason in Indonesian; the local system's words as they came
    assert "status lokal 'ARSIP' tidak ada dalam status_map" in record.inner_text()
    refused = page.locator(f"#dead-letter-table tr[data-id='{hub.ids['refused']}']")
    assert dl.REFUSED_REASON in refused.inner_text()
    gave_up = page.locator(f"#dead-letter-table tr[data-id='{hub.ids['gave_up']}']")
    assert "menyerah setelah 8 percobaan" in gave_up.inner_text() and "3576************" in gave_up.inner_text()
    assert_no_pii(page, "dead-letter page")
    # reason (text contains) and kind
    page.fill("#dl-reason", "jenis_layanan")
    page.click("#dl-apply")
    page.wait_for_selector("#dl-total >> text=1 surat mati terbuka")
    assert _rows(page).get_attribute("data-id") == str(hub.ids["refused"])
    page.click("#dl-clear")
    page.wait_for_selector(f"#dl-total >> text={4 + dl.BULK} surat mati terbuka")
    page.select_option("#dl-kind", "event")
    page.click("#dl-apply")
    page.wait_for_selector("#dl-total >> text=1 surat mati terbuka")
    page.fill("#dl-service", dl.OTHER_SERVICE)
    page.select_option("#dl-kind", "")
    page.click("#dl-apply")
    page.wait_for_selector(f"#dl-total >> text={dl.BULK} surat mati terbuka")
    page.click("#lang-switch")
    assert "walk-in form does not fit" in page.inner_text("#dead-letter-table")  # English: the API's text


def test_an_operator_replays_after_confirming_and_the_page_updates(page: Any, hub: Hub) -> None:
    _open(page, hub, "operator", f"#/dead-letters?region={dl.REGION}")
    assert _rows(page).count() == 4
    row = page.locator(f"#dead-letter-table tr[data-id='{hub.ids['refused']}']")
    row.locator("button.replay").click()
    page.wait_for_selector("#dl-confirm[open]")
    assert "token:ops-nasional" in page.inner_text("#dl-confirm")
    page.click("#dl-confirm-cancel")  # cancelled: nothing happens
    assert hub.ledger.audit_count() == 0 and _rows(page).count() == 4
    row.locator("button.replay").click()
    page.click("#dl-confirm-ok")
    page.wait_for_selector("#dl-message >> text=1 surat mati dikirim ulang")
    page.wait_for_function("() => document.querySelectorAll('#dead-letter-table tbody tr[data-id]').length === 3")
    (record,) = hub.ledger.audit_records()
    assert (record["actor"], record["action"], record["subject"]) == (
        "token:ops-nasional",
        "replay",
        f"dead-letter:{hub.ids['refused']}",
    )
    # the page shown, at once (bounded by the page): three more, each audited
    page.click("#dl-replay-page")
    assert "3 surat mati" in page.inner_text("#dl-confirm")
    page.click("#dl-confirm-ok")
    page.wait_for_selector("#dl-total >> text=0 surat mati terbuka")
    assert hub.ledger.audit_count() == 4
    assert [d["region"] for d in hub.ledger.dead_letters(region=dl.REGION)] == []


@pytest.mark.parametrize("role", ["coordinator", "region"])
def test_coordinators_and_region_teams_cannot_replay(page: Any, hub: Hub, role: str) -> None:
    _open(page, hub, role)
    assert page.locator("button.replay, #dl-replay-page").count() == 0
    assert "Hanya operator" in page.inner_text("#dl-readonly")
    status = page.evaluate(
        """async ([id, token]) => (await fetch('/api/v1/dead-letters/replay', {method: 'POST',
            headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
            body: JSON.stringify({ids: [id]})})).status""",
        [hub.ids["refused"], hub.tokens[role]],
    )
    assert status == 403 and hub.ledger.audit_count() == 0
    if role == "region":  # its own region's letters only, under its own region's title
        assert {r.split(" (")[0] for r in page.locator("#dl-region option").all_inner_texts()[1:]} == {"Kota Mojokerto"}
        assert _rows(page).count() == 4 and "Kota Mojokerto (35.76)" in page.inner_text("main h1")
        page.evaluate("location.hash = '#/dead-letters?region=35.78'")
        page.wait_for_selector("#error:not([hidden])")
        assert "Kota Surabaya" not in page.inner_text("main")


def test_regions_with_dead_letters_are_flagged_and_a_region_team_sees_its_title(page: Any, hub: Hub) -> None:
    _open(page, hub, "coordinator", "#/")
    page.wait_for_selector("#regions .dl-badge")
    badge = page.locator("#regions tr", has_text="Kota Mojokerto").locator(".dl-badge")
    assert badge.inner_text() == "4 surat mati"
    assert page.locator("#regions tr", has_text="Kota Surabaya").locator(".dl-badge").inner_text() == "120 surat mati"
    badge.click()
    page.wait_for_selector("#dl-total >> text=4 surat mati terbuka")
    page.goto(f"{hub.url}/#token={hub.tokens['region']}")
    page.wait_for_selector("#regions tbody tr a.region-link")
    assert page.inner_text("main h1") == "Daerah Kota Mojokerto (35.76)"
    assert "Ringkasan nasional" not in page.inner_text("body")
    # the service page's breadcrumbs name the province
    page.evaluate(f"location.hash = '#/service/{dl.SERVICE}'")
    page.wait_for_selector(".breadcrumbs >> text=Kota Mojokerto")
    crumbs = page.locator(".breadcrumbs li").all_inner_texts()
    assert [c.strip().upper() for c in crumbs[1:3]] == ["JAWA TIMUR", "KOTA MOJOKERTO (35.76)"], crumbs


def _within(page: Any, selector: str) -> None:
    width = page.evaluate("window.innerWidth")
    for box in (page.locator(selector).nth(i).bounding_box() for i in range(min(3, page.locator(selector).count()))):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (selector, box)


@pytest.mark.parametrize("width", [400, 1400])
def test_tables_fit_the_screen_with_state_and_reason_visible(
    page: Any, hub: Hub, width: int, screenshot: Shoot
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _open(page, hub, "operator", "#/")
    page.wait_for_selector("#regions tbody tr .badge")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # no sideways scrolling inside the table box either: everything that matters is on screen
    assert page.evaluate(
        "[...document.querySelectorAll('.table-scroll')].every(b => b.scrollWidth <= b.clientWidth + 1)"
    )
    _within(page, "#regions tbody [data-key=state] .badge")
    _within(page, "#regions tbody [data-key=reason]")
    _within(page, "#regions tbody .dl-badge")
    screenshot(page, f"dl-overview-{width}")
    page.evaluate("location.hash = '#/dead-letters'")
    page.wait_for_selector("#dead-letter-table tbody tr[data-id]")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.evaluate(
        "[...document.querySelectorAll('.table-scroll')].every(b => b.scrollWidth <= b.clientWidth + 1)"
    )
    _within(page, "#dead-letter-table tbody [data-key=kind] .badge")
    _within(page, "#dead-letter-table tbody [data-key=reason]")
    _within(page, "#dead-letter-table tbody button.replay")
    screenshot(page, f"dl-page-{width}")


@pytest.mark.parametrize(
    ("english", "indonesian"),
    [
        ("synced recently", "baru saja tersinkron"),
        ("no successful sync run for 2 h 5 min", "tidak ada sinkronisasi yang berhasil selama 2 j 5 mnt"),
        (
            "2 failing service(s); latest: 35.76/akta: inbound: retrying: HTTP 503: Service Unavailable",
            "2 layanan gagal; terakhir: 35.76/akta: masuk: mencoba lagi: HTTP 503: Service Unavailable",
        ),
        (
            "1 stalled service(s); e.g. 35.78/x: no successful sync run for 45 min; 12 application(s) waiting on the"
            " national side, not pulled yet",
            "1 layanan macet; mis. 35.78/x: tidak ada sinkronisasi yang berhasil selama 45 mnt; 12 permohonan"
            " menunggu di layanan nasional, belum diambil",
        ),
        (
            "1 of 5 service(s) failing, below the 50% that marks the region failing; latest: 35.76/a: outbound:"
            " fatal error: secret R_TOKEN is not set",
            "1 dari 5 layanan gagal, di bawah 50% yang menandai daerah gagal; terakhir: 35.76/a: keluar: galat"
            " fatal: secret R_TOKEN is not set",
        ),
        ("gave up after 8 attempts: timed out", "menyerah setelah 8 percobaan: timed out"),
        (
            "illegal transition approved -> processing (local PROSES)",
            "transisi tidak sah approved -> processing (lokal PROSES)",
        ),
        # not the hub's sentence: the local system's words, unchanged
        ("Nomor registrasi sudah dipakai", "Nomor registrasi sudah dipakai"),
        ("retrying: synced recently", "retrying: synced recently"),
    ],
)
def test_the_hubs_own_reasons_are_translated_and_nothing_else(
    page: Any, static_server: str, english: str, indonesian: str
) -> None:
    page.goto(f"{static_server}/index.html")
    translated = page.evaluate(
        "async (text) => (await import('./reasons.js')).translateReason(text)",
        english,
    )
    assert translated == indonesian
