"""The Airflow tasks read the lease settings with the hub's own limits and a message that names the setting."""

from __future__ import annotations

import pytest

from connectors.errors import FatalError


def test_a_lease_setting_is_read_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpphub_airflow.tasks import _seconds

    monkeypatch.setenv("MPPHUB_LEASE_SECONDS", "45")
    assert _seconds("LEASE_SECONDS", "120", minimum=5.0) == 45.0
    monkeypatch.delenv("MPPHUB_LEASE_SECONDS")
    assert _seconds("LEASE_SECONDS", "120", minimum=5.0) == 120.0


@pytest.mark.parametrize(("value", "message"), [("2 menit", "a number of seconds"), ("1", "between 5 and 86400")])
def test_a_bad_lease_setting_names_itself(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    from mpphub_airflow.tasks import _seconds

    monkeypatch.setenv("MPPHUB_LEASE_SECONDS", value)
    with pytest.raises(FatalError, match=f"MPPHUB_LEASE_SECONDS must be {message}"):
        _seconds("LEASE_SECONDS", "120", minimum=5.0)
