"""The standard tests every connector kind passes (modelled on the Singer SDK's standard tap tests), run
against the sandbox local systems, once per row of ``rows.ROWS`` (each kind has at least one).

What a kind declares about itself (``LocalConnector``: look-back, walk-ins, lookup, attachment files,
host key, idempotency keys, its starter section) is checked against what it does; what it does is
checked against the sandbox system's own truth (applications created per national id, status events)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from connectors.errors import FatalError
from connectors.kinds import CONNECTOR_KINDS, LocalConnector, kind_of
from connectors.records import BadRecord, ChangeRecord, WalkInRecord, cursor_with_lookback, later_cursor
from registry.starter import StarterOptions, starter_package
from registry.synthetic.forms import valid_form
from registry.validate import check_document
from tests.connectors.conformance.rows import ROWS, Row, System

# the steps of ``mpphub check`` a kind may declare as not applying to it (hub/checking.py)
DRY_RUN_STEPS = {"credentials", "date round-trip", "error answer", "submit encoding"}


@pytest.fixture(params=ROWS, ids=[row.id for row in ROWS])
def row(request: pytest.FixtureRequest) -> Row:
    """One row: a kind's sample package and its sandbox system."""
    chosen: Row = request.param
    return chosen


@pytest.fixture
def system(row: Row, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[System]:
    """The row's sandbox system, started, serving its package (feeds read in small pages)."""
    from tests.connectors.conformance.rows import sample

    package = sample(row.package_id)
    row.small_pages(package, monkeypatch)
    yield from row.start(package, request)


@pytest.fixture
def connector(system: System) -> Iterator[LocalConnector]:
    """The row's connector, closed after the test."""
    built = system.connector()
    yield built
    built.close()


def _application(system: System, seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh national application (envelope, valid form) for the row's package."""
    import random

    package = system.package
    envelope = {
        "id": f"CONF-{uuid.uuid4().hex[:16].upper()}",
        "service_id": package["id"],
        "package_version": package["version"],
        "region": package["region"],
        "submitted_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "channel": "web",
        "status": "submitted",
        "attachments": [],
    }
    form = valid_form(package, random.Random(seed), datetime.now(UTC).date())  # noqa: S311 - test data
    return envelope, form


def _read(connector: LocalConnector, since: Any) -> list[list[ChangeRecord | BadRecord]]:
    return [list(page) for page in connector.status_changes(since)]


def test_every_kind_has_rows() -> None:
    """A kind added to the map without conformance rows fails here."""
    assert set(CONNECTOR_KINDS) <= {row.kind for row in ROWS}
    assert {row.kind for row in ROWS} <= set(CONNECTOR_KINDS)


def test_every_row_package_is_of_its_kind() -> None:
    from tests.connectors.conformance.rows import sample

    for row in ROWS:
        assert sample(row.package_id)["local_system"]["kind"] == row.kind, row.id


def test_builds_from_its_package(row: Row, system: System, connector: LocalConnector) -> None:
    cls = CONNECTOR_KINDS[row.kind]
    assert kind_of(system.package) is cls
    assert type(connector) is cls and connector.kind == row.kind
    assert isinstance(cls.lookback_seconds(system.package["local_system"]), int)
    assert cls.lookback_seconds(system.package["local_system"]) >= 0


def test_submit_returns_a_reference(system: System, connector: LocalConnector) -> None:
    envelope, form = _application(system)
    reference = connector.submit(envelope, form)
    assert isinstance(reference, str) and reference
    assert system.created(envelope["id"]) == 1


def test_a_resend_never_creates_a_second_application(system: System, connector: LocalConnector) -> None:
    """With idempotency keys, a resend with the same key is answered with the same application; without,
    the kind must find the first one by its national id (the engine looks before it writes again)."""
    envelope, form = _application(system)
    reference = connector.submit(envelope, form)
    if connector.honours_idempotency_keys:
        assert connector.submit(envelope, form) == reference
    else:
        assert type(connector).supports_lookup(system.package["local_system"]), "no keys and no lookup"
        assert connector.lookup(envelope) == reference  # found: the engine does not submit it again
    assert system.created(envelope["id"]) == 1


def test_lookup_finds_it_where_supported(system: System, connector: LocalConnector) -> None:
    envelope, form = _application(system)
    unknown = {**envelope, "id": f"CONF-ABSENT-{uuid.uuid4().hex[:12].upper()}"}
    if not type(connector).supports_lookup(system.package["local_system"]):
        with pytest.raises(FatalError):
            connector.lookup(envelope)
        return
    assert connector.lookup(envelope) is None  # not submitted yet
    reference = connector.submit(envelope, form)
    assert connector.lookup(envelope) == reference
    assert connector.lookup(unknown) is None


def test_status_changes_page_from_a_cursor_and_resume_without_loss(system: System, connector: LocalConnector) -> None:
    for seed in range(3):
        connector.submit(*_application(system, seed))
    system.officers(1)
    first = _read(connector, None)
    assert len(first) > 1, "the feed was read in one page: paging not exercised"
    seen = [r for page in first for r in page]
    assert all(isinstance(r, ChangeRecord) for r in seen)
    newest = None
    for record in seen:
        newest = later_cursor(newest, record.cursor)
    assert newest is not None
    system.officers(2)  # more changes after the cursor
    lookback = type(connector).lookback_seconds(system.package["local_system"])
    resumed = [r for page in _read(connector, cursor_with_lookback(newest, lookback)) for r in page]
    read_ids = {str(r.event_id) for r in [*seen, *resumed] if isinstance(r, ChangeRecord)}
    assert system.event_ids() <= read_ids, "a status change was lost between the two reads"
    new_ids = system.event_ids() - {str(r.event_id) for r in seen if isinstance(r, ChangeRecord)}
    assert new_ids and new_ids <= {str(r.event_id) for r in resumed if isinstance(r, ChangeRecord)}


def test_walk_ins_where_declared(system: System, connector: LocalConnector) -> None:
    declared = type(connector).declares_walk_ins(system.package["local_system"])
    made = system.walk_ins(3)
    pages = [list(page) for page in connector.walk_ins(None)]
    records = [r for page in pages for r in page]
    if not declared:
        assert records == [] and made == []
        return
    assert len(made) == 3
    assert all(isinstance(r, WalkInRecord) for r in records)
    assert {r.reference for r in records} == set(made)
    validator = jsonschema_rs.validator_for(system.package["form"])
    assert all(validator.is_valid(r.form) for r in records), "a walk-in's mapped form does not fit the package"
    assert len(pages) > 1, "walk-ins were read in one page: paging not exercised"


def test_a_malformed_record_is_a_bad_record_not_a_crash(system: System, connector: LocalConnector) -> None:
    connector.submit(*_application(system))
    system.officers(1)
    system.add_malformed_change()
    records = [r for page in _read(connector, None) for r in page]
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert len(bad) == 1 and "unreadable" in bad[0].reason
    assert any(isinstance(r, ChangeRecord) for r in records)  # the readable ones around it still read


def test_close_releases_resources(system: System) -> None:
    connector = system.connector()
    connector.submit(*_application(system))
    _read(connector, None)
    assert system.pooled(connector) > 0  # a pooled connection is held between calls
    connector.close()
    assert system.pooled(connector) == 0
    connector.close()  # idempotent


def test_declared_capabilities_match_behaviour(row: Row, system: System, connector: LocalConnector) -> None:
    cls = type(connector)
    local = system.package["local_system"]
    envelope, _ = _application(system)
    with_file = {
        **envelope,
        "attachments": [{"requirement_id": "ktp", "filename": "k.pdf", "sha256": "0" * 64, "url": None}],
    }
    if cls.fetches_attachments and local.get("operations", {}).get("submit", {}).get("attachments"):
        with pytest.raises(FatalError):  # it does try to fetch (and has no way to here)
            connector.fetch_files(with_file)
    elif not cls.fetches_attachments:
        assert connector.fetch_files(with_file) == []
    host = cls.host_key(system.package)
    if "base_url" in local:
        assert host and not host.startswith("region:")
    else:
        assert host == f"region:{system.package['region']}"
    assert set(cls.dry_run_skips) <= DRY_RUN_STEPS
    assert (connector.client is None) == ("submit encoding" in cls.dry_run_skips and "base_url" not in local)
    assert connector.honours_idempotency_keys == (local["idempotency"]["strategy"] == "key_header")


def test_the_starter_section_is_a_valid_package(row: Row, tmp_path: Path) -> None:
    """``mpphub init --kind KIND`` writes a package the validator accepts (placeholders may remain)."""
    cls = CONNECTOR_KINDS[row.kind]
    opts = StarterOptions(region="35.76", slug="izin-contoh", kind=row.kind)
    doc = starter_package(opts, cls.starter)
    assert doc["local_system"]["kind"] == row.kind
    file = tmp_path / "35.76" / "izin-contoh.json"
    assert check_document(file, doc, str(file)) == []
    assert all(cls.starter.asks(option, opts) for option in cls.starter.questions - {"token_url"})
