"""Attack drill (issue 16): an operator (or an attacker with read access to the log store) turns logging
up to DEBUG, including ``sqlalchemy.engine`` — which logs every statement's parameters and every result
row, i.e. the applications' payloads with the citizens' NIK and phone numbers.

What must hold: after ``mpphub sync`` (in-process, the way the CLI installs the log masking) over a
sandbox world where citizens submitted a 16-digit NIK and an 08xx phone number, no captured log line holds
either value unmasked. The control arm runs the same sync with the masking switched off and shows the
same values DO reach the logs (so the scan can fail: the values really pass through the loggers).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.drills.pii_scan import Known, PiiScanner, harvest
from tests.drills.support import report
from tests.drills.world import World, build_world, sqlite_url, sync_environment

SERVICE = "35.76/akta-kelahiran"  # its form has nik_pelapor and no_hp_pelapor


@pytest.fixture
def restore_record_factory() -> Iterator[None]:
    """The CLI installs its masking record factory process-wide; put the previous one back afterwards."""
    previous = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(previous)


def _debug_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "urllib3", "mpphub"):
        caplog.set_level(logging.DEBUG, logger=name)


def _sync(
    tmp_path: Path, national: Any, a: Any, b: Any, monkeypatch: pytest.MonkeyPatch, cli: Any, seed: int
) -> tuple[World, Known]:
    """Citizens apply (with NIK and phone), then ``mpphub sync --service`` delivers and pushes."""
    url = sqlite_url(tmp_path)
    world = build_world(url, national, a, b)
    national.citizens(3, seed=seed, services=[SERVICE])
    for name, value in sync_environment(world, url).items():
        monkeypatch.setenv(name, value)
    result = cli("sync", "--service", SERVICE)
    assert result.code == 0, result.out + result.err
    a.step(3, package_id=SERVICE)  # officers change statuses: the inbound flow carries them too
    assert cli("sync", "--service", SERVICE).code == 0
    known = Known()
    for server in world.local.values():
        known.update(harvest(server.truth()))
    assert known.niks and known.phones, "the citizens' NIK and phone numbers reached the local system"
    return world, known


def _log_rows_like_sqlalchemy(known: Known) -> None:
    """SQLAlchemy's own shape of a DEBUG result-row line, with the citizens' values (a phone sits deep in a
    payload, past SQLAlchemy's parameter truncation, so a sync alone may not show one): the masking must
    cover these too, and the control shows them unmasked."""
    row_logger = logging.getLogger("sqlalchemy.engine.Engine")
    for value in sorted(known.niks | known.phones):
        row_logger.debug("Row %r", ("SLN-1", {"no_hp_pelapor": value, "nik_pelapor": value}))


def _leaks(known: Known, caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    scanner = PiiScanner(known)
    text = "\n".join(caplog.messages) + "\n" + caplog.text
    found = scanner.scan_text("captured logs", text)
    return [str(f) for f in found if f.kind == "nik"], [str(f) for f in found if f.kind == "phone"]


def test_debug_logs_with_sqlalchemy_engine_hold_no_nik_or_phone(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
    restore_record_factory: None,
) -> None:
    """Attack: DEBUG everywhere, sqlalchemy.engine included, during a real sync of NIK-carrying forms."""
    _debug_everything(caplog)
    world, known = _sync(tmp_path, national_server, local_rest_indonesian, local_rest_cursor, monkeypatch, cli, 41)
    _log_rows_like_sqlalchemy(known)
    sql_lines = [r for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert len(sql_lines) > 50, "sqlalchemy.engine really logged statements and rows at DEBUG"
    niks, phones = _leaks(known, caplog)
    assert niks == [] and phones == [], niks[:5] + phones[:5]
    report("attack-logs", f"{len(caplog.records)} DEBUG records ({len(sql_lines)} sqlalchemy): no NIK, no phone")
    world.close()


def test_control_without_masking_the_same_values_reach_the_logs(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
    national_server: Any,
    local_rest_indonesian: Any,
    local_rest_cursor: Any,
    restore_record_factory: None,
) -> None:
    """Control: the masking switched off (the record factory back to logging's own, its installer a no-op):
    the same sync writes the citizens' NIK into the captured logs, so the drill above can fail."""
    monkeypatch.setattr("connectors.masking.install_log_masking", lambda: None)
    logging.setLogRecordFactory(logging.LogRecord)
    _debug_everything(caplog)
    world, known = _sync(tmp_path, national_server, local_rest_indonesian, local_rest_cursor, monkeypatch, cli, 41)
    niks, _ = _leaks(known, caplog)
    assert niks, "without masking, the sync's own DEBUG logs show the NIK (the values do pass through)"
    _log_rows_like_sqlalchemy(known)
    niks, phones = _leaks(known, caplog)
    assert phones, "without masking, a row line shows the phone number"
    report("attack-logs", f"control without masking: {len(niks)} NIK and {len(phones)} phone lines in the logs")
    world.close()
