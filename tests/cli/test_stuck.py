"""No silent failure (issue 18): a real loopback local system that keeps answering the head of a service's
queue with a 5xx. Every `mpphub sync` run ends "ok" (the delivery is rescheduled inside it), yet after the
third attempt `mpphub status` says "stuck" with the item and its last error, and `mpphub sync` exits 3 and
lists the stuck service; once the system answers again the queue moves and both say so. The backoff passes
on a test clock that every command is given (``hub.cli.main(..., clock=...)``) and the test advances."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.clock import ShiftedClock
from connectors.sync.backoff import RetryPolicy
from connectors.sync.packages import PackageSource
from hub.commands.sync import EXIT_STUCK
from tests.conftest import REPO, CliResult

SERVICE = "35.76/akta-kelahiran"  # a style (a) REST package of Kota Mojokerto


@pytest.fixture
def hub_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, national_server: Any, local_rest_indonesian: Any
) -> Iterator[tuple[Any, Any]]:
    package = PackageSource(REPO / "registry").latest(SERVICE)
    monkeypatch.setenv("MPPHUB_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("MPPHUB_REGISTRY", str(REPO / "registry"))
    monkeypatch.setenv("MPPHUB_NATIONAL_URL", national_server.url)
    monkeypatch.setenv("MPPHUB_NATIONAL_TOKEN", national_server.token)
    monkeypatch.setenv("MPPHUB_ALLOW_LOOPBACK", "1")  # the sandbox is on loopback: opt in explicitly
    monkeypatch.setenv(
        "MPPHUB_BASE_URL_OVERRIDES", json.dumps({package["local_system"]["base_url"]: local_rest_indonesian.url})
    )
    for name, value in local_rest_indonesian.secrets.items():
        monkeypatch.setenv(name, value)
    yield national_server, local_rest_indonesian


def test_a_queue_held_by_one_application_is_stuck_in_status_and_sync(
    hub_env: tuple[Any, Any], cli: Callable[..., CliResult]
) -> None:
    national, local = hub_env
    clock = ShiftedClock()  # the hub's time in this test: every command below keeps it

    def mpphub(*args: str) -> CliResult:
        return cli(*args, clock=clock)

    def next_attempt_due() -> None:
        clock.advance(RetryPolicy().cap_seconds + 1)  # past the longest backoff: the head is due again

    national.citizens(3, seed=41, services=[SERVICE])
    local.faults(error_rate=1.0)  # every request: 500, 502 or 503 — the head of the queue never goes through

    sync = ["sync", "--service", SERVICE, "--flow", "outbound"]
    first = mpphub(*sync)
    assert first.code == 0, first.out + first.err  # one failed attempt is not stuck yet
    assert "stuck" not in mpphub("status", "--region", "35.76").out.split("\n", 1)[0]
    next_attempt_due()
    assert mpphub(*sync).code == 0
    next_attempt_due()
    third = mpphub(*sync)
    assert third.code == EXIT_STUCK == 3, third.out + third.err
    assert f"  {SERVICE}: outbound: stuck: application " in third.out
    assert "holds the delivery queue after 3 attempts: POST " in third.out and "HTTP 50" in third.out

    status = mpphub("status", "--region", "35.76")
    assert status.code == 0, status.err
    heading, table = status.out.split("\n", 1)
    assert ": stuck - 1 stuck service(s); e.g. 35.76/akta-kelahiran: outbound: stuck: application" in heading
    row = next(line for line in table.splitlines() if line.startswith(SERVICE))
    assert " stuck " in row and "after 3 attempts" in row and "HTTP 50" in row
    national_view = mpphub("status").out
    assert "35.76" in national_view and "1 stuck" in national_view

    next_attempt_due()
    as_json = mpphub(*sync, "--format", "json")
    assert as_json.code == EXIT_STUCK
    document = as_json.json()
    entry = document["stuck"][SERVICE]
    assert entry["flow"] == "outbound" and entry["attempts"] == 4 and "HTTP 50" in entry["last_error"]
    assert document["regions"]["35.76"]["stuck"] == 1

    local.faults()  # the system answers again: the head goes through, and the queue behind it
    next_attempt_due()
    healed = mpphub(*sync)
    assert healed.code == 0, healed.out + healed.err
    assert "stuck" not in healed.out.replace("fatal stuck", "")
    assert len(local.truth()["applications"]) == 3
    page = json.loads(mpphub("status", "--region", "35.76", "--format", "json").out)
    service = next(s for s in page["services"] if s["service_id"] == SERVICE)
    assert service["state"] != "stuck" and service["stuck"] is None
