"""A region is failing only from a share of its services (issue 13 item 5): one failing service among a
small region's few makes it failing; one among an MPP's 180 does not (it is named in the reason), so a
national error rate of 1% no longer paints every region red. The share is a setting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.health.report import DEFAULT_FAILING_SHARE, region_row
from hub.settings import Settings

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _service(n: int, state: str) -> dict[str, Any]:
    failing = state == "failing"
    return {
        "service_id": f"35.76/layanan-{n}",
        "state": state,
        "reason": "outbound: retry: HTTP 503" if failing else "ran successfully",
        "_error_at": AT if failing else None,
        "_last_success": AT,
        "last_error": "HTTP 503" if failing else None,
        "lag_seconds": 0,
        "backlog": 0,
        "failures": 1 if failing else 0,
        "dead_letters": 0,
        "sla_breaches": 0,
        "applications": 0,
        "delivered": 0,
    }


def _region(failing: int, total: int, share: float = DEFAULT_FAILING_SHARE) -> dict[str, Any]:
    services = [_service(n, "failing" if n < failing else "live") for n in range(total)]
    return region_row("35.76", services, share)


def test_a_small_region_with_one_failing_service_is_failing() -> None:
    row = _region(1, 3)
    assert row["state"] == "failing" and row["reason"].startswith("1 failing service(s)")


def test_one_failing_service_in_an_mpp_of_180_is_named_not_alarmed() -> None:
    row = _region(1, 180)
    assert row["state"] == "live"
    assert "1 of 180 service(s) failing, below the 5% that marks the region failing" in row["reason"]
    assert "35.76/layanan-0" in row["reason"] and row["failures"] == 1  # still visible, still counted
    assert _region(9, 180)["state"] == "failing"  # 5% of 180


def test_the_share_is_a_setting() -> None:
    assert _region(1, 180, share=0.005)["state"] == "failing"
    assert Settings.from_env({"MPPHUB_FAILING_SHARE": "0.2"}).failing_share == 0.2
    assert Settings.from_env({}).failing_share == DEFAULT_FAILING_SHARE
