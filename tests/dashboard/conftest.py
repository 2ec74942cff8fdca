"""Browser fixtures: Debian's chromium driven by Playwright (never ``playwright install``: nothing is downloaded).

Without chromium the tests skip with the reason, except in CI (``CI`` set), where they fail: CI installs
chromium in ``.ci/run`` and a silent skip there would hide a broken dashboard.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.dashboard import STATIC_DIR

CHROMIUM = os.environ.get("MPPHUB_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # gitignored: for a human to look at
NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
PHONE = re.compile(r"(?<![\d+])(?:08\d{8,12}|\+628\d{7,11}|628\d{8,11})(?!\d)")


def chromium_path() -> str:
    """The chromium executable, or skip (fail in CI) with the reason."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path:
        return path
    reason = f"Debian's chromium is not installed ({CHROMIUM}); install it with: apt-get install -y chromium"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium per test module (closed with it, so Playwright's event loop never outlives the
    browser tests into other modules)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (empty session and local storage) and page; JS errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"


@pytest.fixture(scope="session")
def static_server() -> Iterator[str]:
    """The dashboard's static files on a real loopback uvicorn (for the UI-unit tests; the API is routed)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from sandbox.serve import serve_in_thread

    app = Starlette(routes=[Mount("/", StaticFiles(directory=STATIC_DIR, html=True))])
    server = serve_in_thread(app)
    yield server.url
    server.stop()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under the test's tmp dir and (for a human) tests/dashboard/screenshots/."""

    def shoot(tab: Any, name: str) -> Path:
        target = tmp_path / f"{name}.png"
        tab.screenshot(path=str(target), full_page=True)
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copyfile(target, SCREENSHOTS / target.name)
        assert target.stat().st_size > 1000
        return target

    return shoot


def assert_no_pii(tab: Any, where: str) -> None:
    """Neither the visible text nor the HTML holds a 16-digit NIK or an Indonesian phone number."""
    for label, content in (("text", tab.inner_text("body")), ("html", tab.content())):
        assert not NIK.findall(content), f"unmasked NIK in the {label} of {where}: {NIK.findall(content)[:3]}"
        assert not PHONE.findall(content), f"unmasked phone in the {label} of {where}: {PHONE.findall(content)[:3]}"
