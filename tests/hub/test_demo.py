"""`make demo`'s main job, smaller: every region's applications delivered, nothing duplicated or lost —
the adopting regions' too, each on its own simulated system."""

from __future__ import annotations

import os

import pytest

from registry.index import load_index
from tests.conftest import REPO


def test_demo_moves_everything_exactly_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.demo import run_demo

    # without the suite's loopback opt-in: the demo opts in itself (and gives the setting back)
    monkeypatch.delenv("MPPHUB_ALLOW_LOOPBACK", raising=False)

    index = load_index(REPO / "registry")
    adopted = {
        service_id
        for service_id, entry in index["packages"].items()
        if "template" in entry["versions"][entry["latest"]] and entry["kind"] == "rest"
    }
    assert len({s.split("/")[0] for s in adopted}) >= 10
    lines: list[str] = []
    # citizens enough for one application per service first (the demo covers every service, then at random)
    summary = run_demo(REPO / "registry", say=lines.append, citizens=len(index["packages"]) + 4, cycles=3)
    assert set(summary) >= {"35", "35.16", "35.76", "35.78"} | {s.split("/")[0] for s in adopted}
    for region, counts in summary.items():
        assert counts.get("delivered", 0) == counts.get("applications", 0), region
        assert counts.get("duplicated", 0) == counts.get("events_duplicated", 0) == counts.get("lost", 0) == 0, region
    for service_id, counts in summary.services.items():
        assert counts.get("misrouted", 0) == 0, service_id  # created in its own package's system only
    # the adopting regions' services, each synced exactly once through its region's own system
    for service_id in sorted(adopted):
        counts = summary.services.get(service_id, {})
        assert counts.get("applications", 0) >= 1, service_id
        assert counts["delivered"] == counts["applications"], service_id
        assert counts["duplicated"] == counts["lost"] == counts["misrouted"] == 0, service_id
        assert counts.get("events_duplicated", 0) == 0, service_id
    assert sum(summary.services[s].get("events_pushed", 0) for s in adopted) > 0
    assert sum(c.get("events_pushed", 0) for c in summary.values()) > 0
    assert lines[-1].strip().startswith("duplicates: 0   losses: 0")
    assert "MPPHUB_ALLOW_LOOPBACK" not in os.environ
