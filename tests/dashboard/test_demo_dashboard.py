"""`make demo`'s dashboard: after the summary, from a terminal, the demo prints the dashboard URL with a fresh
coordinator token and keeps serving (one region's sync paused so it turns stalled); without a terminal it
exits. The coordinator finds the stalled region and its reason in two clicks."""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.dashboard.conftest import assert_no_pii

Shoot = Callable[[Any, str], Path]


def _args(**overrides: Any) -> argparse.Namespace:
    from hub.commands import demo

    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args([])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


@pytest.mark.parametrize(("serve", "tty", "expected"), [(None, False, False), (None, True, True), (False, True, False)])
def test_demo_serves_the_dashboard_only_from_a_terminal(
    monkeypatch: pytest.MonkeyPatch, serve: bool | None, tty: bool, expected: bool
) -> None:
    from hub import demo as demo_module
    from hub.commands import demo

    calls: list[Any] = []

    def fake_run_demo(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs.get("dashboard"))
        return {}

    monkeypatch.setattr(demo_module, "run_demo", fake_run_demo)
    monkeypatch.setattr("sys.stdout.isatty", lambda: tty)
    assert demo.run(_args(serve=serve)) == 0
    assert (calls[0] is not None) is expected


def test_demo_dashboard_shows_the_paused_region_stalled_in_two_clicks(page: Any, screenshot: Shoot) -> None:
    from hub.demo import DashboardOptions, run_demo

    lines: list[str] = []
    options = DashboardOptions(port=0, stall_minutes=0.25, interval_seconds=1.0)
    outcome: dict[str, Any] = {}

    def demo() -> None:
        try:
            outcome["summary"] = run_demo(REPO / "registry", say=lines.append, citizens=12, cycles=2, dashboard=options)
        except BaseException as exc:  # surfaced by the assertions below
            outcome["error"] = exc

    thread = threading.Thread(target=demo, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 300
        while not any("#token=" in line for line in lines):
            assert thread.is_alive(), (outcome.get("error"), lines[-5:])
            assert time.monotonic() < deadline, lines[-5:]
            time.sleep(0.5)
        url_at = next(i for i, line in enumerate(lines) if "#token=" in line)
        summary_at = next(i for i, line in enumerate(lines) if line.strip().startswith("duplicates: 0   losses: 0"))
        assert summary_at < url_at, "the URL comes after the summary"
        found = re.search(r"(http://\S+#token=\S+)", lines[url_at])
        assert found, lines[url_at]
        url = found.group(1)
        page.goto(url)
        page.wait_for_selector("#counter-live .counter-value")
        assert "#token=" not in page.url
        # the paused region turns stalled once its last success is older than the threshold
        for _ in range(60):
            if page.locator("#regions tbody tr", has_text="Kota Surabaya").locator(".badge.state-stalled").count():
                break
            page.wait_for_timeout(2000)
            page.click("#refresh")
        page.click("#counter-stalled")  # click 1
        row = page.locator("#regions tbody tr", has_text="Kota Surabaya")
        assert "tidak ada sinkronisasi yang berhasil" in row.inner_text()
        row.locator("a.region-link").click()  # click 2
        page.wait_for_selector("a.service-link")
        assert page.url.endswith("#/region/35.78")
        assert "tidak ada sinkronisasi yang berhasil" in page.inner_text(".facts")
        assert_no_pii(page, "demo region page")
        screenshot(page, "demo-stalled-region")
    finally:
        options.stop.set()
        thread.join(timeout=120)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert any(line.startswith("press Ctrl-C") for line in lines)
