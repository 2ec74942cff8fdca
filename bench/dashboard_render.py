"""Benchmark: the dashboard in headless Debian chromium with every region of the country (and ten times more).

The API is answered in the browser (``page.route``) from the contract-shaped picture of the UI tests, so
the figures are the page's own cost: fetch parsing, table building, sorting, filtering. Baselines measured
in the same run, in the same browser:

  * *static table*: the same N region rows as one plain server-rendered HTML table (``set_content``), the
    cheapest a page listing every region can be;
  * *no-op click*: a click on a button that does nothing, the floor of one round trip through Playwright.

Printed: median milliseconds of ``--repeat`` runs and the ratio to the baseline. The dashboard renders one
page of 50 rows whatever N is, so its load time should stay nearly flat from 552 to 5,520 regions while the
static table grows with N.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hub.dashboard import STATIC_DIR  # noqa: E402
from sandbox.serve import serve_in_thread  # noqa: E402
from tests.dashboard import contract_world as world  # noqa: E402


def _regions(scale: int) -> list[dict[str, Any]]:
    base = world.regions()
    if scale == 1:
        return base
    return [dict(r, code=f"{r['code']}-{i}", name=f"{r['name']} {i}") for i in range(scale) for r in base]


def _fulfil_with(body: str) -> Callable[[Any], None]:
    def handle(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=body)

    return handle


def _median_ms(runs: int, action: Callable[[], None]) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _static_table(rows: list[dict[str, Any]]) -> str:
    cells = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(r[k]))}</td>" for k in ("code", "name", "province_name", "state"))
        + "</tr>"
        for r in rows
    )
    return f"<!doctype html><table><thead><tr><th>code</th><th>name</th><th>province</th><th>state</th></tr></thead><tbody>{cells}</tbody></table>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median; default 5)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Debian's chromium (default /usr/bin/chromium)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    server = serve_in_thread(Starlette(routes=[Mount("/", StaticFiles(directory=STATIC_DIR, html=True))]))
    results: list[tuple[str, float, str, float]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
            auth = f"Bearer {world.TOKEN}"
            for scale in (1, 10):
                rows = _regions(scale)
                body = json.dumps(rows)
                page = browser.new_page()
                world.route_api(page)  # everything else; the three calls of the overview come ready-made:
                page.route("**/api/v1/me", _fulfil_with(json.dumps(world.answer("/api/v1/me", auth)[1])))
                page.route("**/api/v1/overview", _fulfil_with(json.dumps(world.answer("/api/v1/overview", auth)[1])))
                page.route("**/api/v1/regions", _fulfil_with(body))
                page.goto(f"{server.url}/#token={world.TOKEN}")
                page.wait_for_selector("#regions tbody tr")

                def load(p: Any = page) -> None:
                    p.reload()
                    p.wait_for_selector("#regions tbody tr")

                dashboard_ms = _median_ms(args.repeat, load)
                static_page = browser.new_page()
                static = _static_table(rows)

                def static_load(p: Any = static_page, content: str = static) -> None:
                    p.set_content(content)
                    p.wait_for_selector("tbody tr")

                static_ms = _median_ms(args.repeat, static_load)
                static_page.close()
                results.append(
                    (f"load overview, {len(rows)} regions", dashboard_ms, f"static {len(rows)}-row table", static_ms)
                )

                page.evaluate("document.body.insertAdjacentHTML('beforeend', '<button id=noop>noop</button>')")

                def noop(p: Any = page) -> None:
                    p.click("#noop")

                noop_ms = _median_ms(args.repeat, noop)

                def sort(p: Any = page) -> None:
                    before = p.inner_text("#regions tbody tr:first-child")
                    p.click("#regions th[data-key=name] button")
                    p.wait_for_function("b => document.querySelector('#regions tbody tr').innerText !== b", arg=before)

                total = "() => Number(document.querySelector('#regions').closest('.table-block').dataset.total)"

                def filter_(p: Any = page, n: int = len(rows), count: str = total) -> None:
                    p.fill("#regions-q", "kota")
                    p.wait_for_function(f"({count})() < {n}")
                    p.fill("#regions-q", "")
                    p.wait_for_function(f"({count})() === {n}")

                results.append(
                    (f"sort by name, {len(rows)} regions", _median_ms(args.repeat, sort), "no-op click", noop_ms)
                )
                results.append(
                    (f"filter and clear, {len(rows)} regions", _median_ms(args.repeat, filter_), "no-op click", noop_ms)
                )
                page.close()
            browser.close()
    finally:
        server.stop()

    width = max(len(r[0]) for r in results)
    print(f"{'measure':<{width}}  {'ms':>8}  {'baseline':<24} {'ms':>8}  ratio")
    for name, ms, baseline, base_ms in results:
        print(f"{name:<{width}}  {ms:8.1f}  {baseline:<24} {base_ms:8.1f}  {ms / base_ms:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
