"""What operators are told about leases: `mpphub sync` names the flows it skipped (who holds them, until
when) or stopped (lease lost), in text and JSON; `mpphub status` shows streams whose worker stopped
heartbeating."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.clock import ShiftedClock
from connectors.ledger.store import Ledger
from connectors.sync.engine import ServiceResult
from hub.commands.sync import _report
from tests.conftest import REPO

UNTIL = datetime(2026, 12, 3, 8, 0, 5, tzinfo=UTC)


def _results() -> list[ServiceResult]:
    held = ServiceResult("35.76/akta-kelahiran", "35.76", skipped=["outbound"], held_by={"outbound": ("w-a", UNTIL)})
    lost = ServiceResult("35.76/izin-reklame", "35.76", lost=["inbound"])
    return [held, lost]


def test_sync_text_names_skipped_and_lost_flows(capsys: pytest.CaptureFixture[str]) -> None:
    _report(_results(), "text")
    out = capsys.readouterr().out
    assert "35.76/akta-kelahiran outbound: skipped: held by worker w-a until 2026-12-03T08:00:05+00:00" in out
    assert "35.76/izin-reklame inbound: skipped: another worker took it over while it ran" in out


def test_sync_json_lists_skipped_flows(capsys: pytest.CaptureFixture[str]) -> None:
    _report(_results(), "json")
    document = json.loads(capsys.readouterr().out)
    assert document["skipped"] == [
        {
            "service": "35.76/akta-kelahiran",
            "flow": "outbound",
            "reason": "held",
            "holder": "w-a",
            "until": "2026-12-03T08:00:05+00:00",
        },
        {"service": "35.76/izin-reklame", "flow": "inbound", "reason": "lease_lost", "holder": None, "until": None},
    ]


@pytest.fixture
def ledger_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("MPPHUB_LEDGER_URL", url)
    monkeypatch.setenv("MPPHUB_REGISTRY", str(REPO / "registry"))
    ledger = Ledger.open(url, clock=ShiftedClock())  # the worker's; `mpphub status` is given the same clock
    yield ledger
    ledger.close()


def test_status_shows_a_lease_whose_worker_stopped_heartbeating(ledger_env: Ledger, cli: Any) -> None:
    assert ledger_env.acquire_stream("outbound:35.76/akta-kelahiran", "host-1:4242", 120) is not None
    assert ledger_env.acquire_stream("inbound:35.16/izin-penelitian", "host-1:4242", 120) is not None
    clock = ledger_env.clock
    assert isinstance(clock, ShiftedClock)
    quiet = cli("status", clock=clock)
    assert quiet.code == 0 and "stopped heartbeating" not in quiet.out, "a live lease is not stale"
    clock.advance(121)  # the worker was killed: nothing renews or releases its leases
    assert "stopped heartbeating" not in cli("status").out, "by the real time (another clock) it still runs"
    text = cli("status", clock=clock)
    assert text.code == 0
    assert "2 stream(s) held by a worker that stopped heartbeating" in text.out
    assert "35.76/akta-kelahiran outbound: worker host-1:4242" in text.out
    document = cli("status", "--format", "json", clock=clock).json()
    assert [(s["service"], s["owner"]) for s in document["stale_leases"]] == [
        ("35.16/izin-penelitian", "host-1:4242"),
        ("35.76/akta-kelahiran", "host-1:4242"),
    ]
    region = cli("status", "--region", "35.76", "--format", "json", clock=clock).json()
    assert [s["service"] for s in region["stale_leases"]] == ["35.76/akta-kelahiran"]
