"""Drill 3 — load: applications and status events across many regions through the sandbox, nothing lost.

CI runs a reduced size; ``MPPHUB_DRILL_SCALE=full`` runs 100,000 applications / 500,000 events over all 552
regions (hours on 2 cores), as does ``bench/drill_load.py`` without arguments. Figures are printed, never
asserted (speed belongs to bench/, not to a test's pass/fail).
"""

from __future__ import annotations

import pytest

from bench.drill_load import run
from tests.drills.support import report, sized


@pytest.mark.slow
def test_load_across_many_regions_loses_nothing() -> None:
    applications, events, regions = sized(600, 100_000), sized(2_400, 500_000), sized(100, 552)
    report("load", f"{applications} applications, {events} status events, {regions} regions through the sandbox")
    result = run(applications, events, regions, quiet=True)
    report(
        "load",
        f"outbound {result.applications_per_second:.0f} applications/s, inbound {result.events_per_second:.0f} "
        f"events/s, peak RSS {result.peak_rss_mib:.0f} MiB, ledger {result.ledger_mib:.1f} MiB",
    )
    assert result.events >= events, "the officers made the status changes asked for"
    assert result.problems and result.held, result.problems
    report("load", f"{result.applications} applications and {result.events} events: none lost or duplicated")
