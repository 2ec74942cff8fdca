"""The dashboard's first load after a quiet spell shows a fresh report (issue 13 item 5): a cached report a
little older than the refresh interval is served once more while a background refresh runs; one minutes
old is recomputed before the answer."""

from __future__ import annotations

import time
from pathlib import Path

from connectors.ledger.store import Ledger
from hub.api.state import STALE_AFTER_SECONDS, HubState
from tests.hub.conftest import copy_registry


def test_a_stale_report_is_recomputed_and_a_recent_one_served(tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        state = HubState(ledger, copy_registry(tmp_path / "registry"), cache_seconds=10.0)
        first = state.report()
        assert state._report is not None

        state._report = (time.monotonic() - 12, first)  # just past the interval: served, refreshed beside
        assert state.report() is first
        with state._refresh:  # the background refresh has finished
            pass

        old = state.report()
        state._report = (time.monotonic() - STALE_AFTER_SECONDS - 60, old)  # ninety seconds of quiet
        fresh = state.report()
        assert fresh is not old
        assert state._report is not None and time.monotonic() - state._report[0] < 5
    finally:
        ledger.close()
