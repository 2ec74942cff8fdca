"""`make demo`'s main job, smaller: every region's applications delivered, nothing duplicated or lost."""

from __future__ import annotations

from tests.conftest import REPO


def test_demo_moves_everything_exactly_once() -> None:
    from hub.demo import run_demo

    lines: list[str] = []
    summary = run_demo(REPO / "registry", say=lines.append, citizens=24, cycles=3)
    assert set(summary) >= {"35", "35.16", "35.76", "35.78"}
    for region, counts in summary.items():
        assert counts.get("delivered", 0) == counts.get("applications", 0), region
        assert counts.get("duplicated", 0) == counts.get("events_duplicated", 0) == counts.get("lost", 0) == 0, region
    assert sum(c.get("events_pushed", 0) for c in summary.values()) > 0
    assert lines[-1].strip().startswith("duplicates: 0   losses: 0")
