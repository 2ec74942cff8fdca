"""Local date formats (issue 18 item 3): a package declares how its local system writes times
(``local_system.date_format``, strptime directives such as ``%d-%m-%Y %H:%M:%S``). Before, every
``02-12-2026 14:05:09`` was an "unreadable local record", and a cursor in that format compared as text
(02-12-2026 before 03-11-2026). Now such times are read in the package's zone (or the offset ``%z``
reads), cursors are kept in ISO 8601 and compared as times, and they go back to the local system in its
own format."""

from __future__ import annotations

import copy
import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from sqlalchemy import create_engine, text

from connectors.errors import FatalError
from connectors.kinds import LocalConnector
from connectors.ledger.store import Ledger, NewApplication
from connectors.national import NationalClient
from connectors.records import (
    BadRecord,
    ChangeRecord,
    canonical_cursor,
    cursor_with_lookback,
    is_later,
    later_cursor,
    local_cursor,
    normalise_change,
)
from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets
from connectors.sql import SqlConnector
from connectors.sync.context import SyncContext
from connectors.sync.inbound import pull
from connectors.sync.packages import PackageSource
from registry.date_formats import format_problem, sorts_as_text
from registry.template_check import template_findings
from registry.time_zones import ZONES
from registry.validate import check_document
from tests.conftest import REPO

LOCAL = "%d-%m-%Y %H:%M:%S"
FIELDS = {"reference": "r", "status": "s", "changed_at": "t"}
BASE = "https://dispendukcapil.mojokertokota.go.id/api/v1"
# one region per zone: Kota Mojokerto (WIB), Kota Makassar (WITA), Kota Jayapura (WIT)
REGIONS = {"WIB": "35.76", "WITA": "73.71", "WIT": "91.71"}
HOURS = {"WIB": 7, "WITA": 8, "WIT": 9}


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- reading -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "utc_hour"), [("WIB", 7), ("WITA", 6), ("WIT", 5)])
def test_a_local_format_time_is_read_in_the_package_zone(zone: str, utc_hour: int) -> None:
    record = normalise_change(
        {"r": "REG-1", "s": "BARU", "t": "02-12-2026 14:05:09"}, FIELDS, None, zone=ZONES[zone], date_format=LOCAL
    )
    assert isinstance(record, ChangeRecord), record
    assert record.changed_at.astimezone(UTC) == _utc(2026, 12, 2, utc_hour, 5, 9)
    assert record.changed_at.utcoffset() == timedelta(hours=HOURS[zone])


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        ("02-12-2026 14:05:09 +0800", "%d-%m-%Y %H:%M:%S %z", _utc(2026, 12, 2, 6, 5, 9)),
        ("02/12/2026 14.05 +0900", "%d/%m/%Y %H.%M %z", _utc(2026, 12, 2, 5, 5)),
        ("2026-12-02 14:05:09Z", "%Y-%m-%d %H:%M:%S%z", _utc(2026, 12, 2, 14, 5, 9)),
    ],
)
def test_an_offset_the_format_reads_wins_over_the_zone(value: str, date_format: str, expected: datetime) -> None:
    # read in a WIB package: the offset in the value decides, not the package's zone
    record = normalise_change(
        {"r": "REG-1", "s": "BARU", "t": value}, FIELDS, None, zone=ZONES["WIB"], date_format=date_format
    )
    assert isinstance(record, ChangeRecord), record
    assert record.changed_at == expected


@pytest.mark.parametrize(
    "value",
    [
        "3576014501900004",  # a NIK where the time should be
        "081355501234 02-12-2026",  # a phone number in front of a time
        "2026-12-02T14:05:09+07:00",  # ISO, though the package says the system writes dd-mm-yyyy
        "31-02-2026 10:00:00",  # no such day
        "12-02-2026",  # no time
    ],
)
def test_an_unreadable_local_time_is_a_bad_record_without_personal_data(value: str) -> None:
    record = normalise_change(
        {"r": "REG-1", "s": "BARU", "t": value}, FIELDS, "c-1", zone=ZONES["WITA"], date_format=LOCAL
    )
    assert isinstance(record, BadRecord), record
    assert record.reason.startswith("unreadable local record: ValueError"), record.reason
    assert "3576014501900004" not in record.reason and "081355501234" not in record.reason, record.reason


def test_without_a_format_times_are_iso_as_before() -> None:
    iso = normalise_change({"r": "REG-1", "s": "BARU", "t": "2026-12-02T14:05:09"}, FIELDS, None, zone=ZONES["WIT"])
    assert isinstance(iso, ChangeRecord) and iso.changed_at == _utc(2026, 12, 2, 5, 5, 9)
    local = normalise_change({"r": "REG-1", "s": "BARU", "t": "02-12-2026 14:05:09"}, FIELDS, None, zone=ZONES["WIT"])
    assert isinstance(local, BadRecord)


# --- the validator -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "date_format",
    [LOCAL, "%d/%m/%Y %H.%M", "%Y%m%d%H%M%S", "%d %b %Y %I:%M:%S %p", "%d-%m-%Y %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f"],
)
def test_usable_formats_pass(good_doc: dict[str, Any], tmp_path: Path, date_format: str) -> None:
    good_doc["local_system"]["date_format"] = date_format
    assert check_document(tmp_path / "x.json", good_doc) == []


@pytest.mark.parametrize(
    ("date_format", "says"),
    [
        ("%d-%m-%Y", "has no hour (%H, or %I with %p)"),
        ("%m-%Y %H:%M", "has no day"),
        ("%d-%Y %H:%M", "has no month"),
        ("%d-%m %H:%M", "has no year"),
        ("%d-%m-%Y %H", "has no minute"),
        ("%d-%m-%Y %Q:%M", "%Q is not a directive the hub reads"),
        ("%-d-%m-%Y %H:%M", "strptime has no %-d style flags"),
        ("%d-%m-%Y %H:%M %Z", "use %z"),
        ("%d-%m-%Y %I:%M", "%I (12-hour clock) needs %p"),
        ("%c", "%c is not a directive"),
        ("%d-%m-%Y %H:%M %", "a lone % at the end"),
    ],
)
def test_the_validator_explains_an_unusable_format(
    good_doc: dict[str, Any], tmp_path: Path, date_format: str, says: str
) -> None:
    good_doc["local_system"]["date_format"] = date_format
    problems = [(p.path, p.message) for p in check_document(tmp_path / "x.json", good_doc)]
    assert len(problems) == 1, problems
    path, message = problems[0]
    assert path == "$.local_system.date_format" and says in message, problems


def test_the_schema_refuses_a_format_of_the_wrong_shape(good_doc: dict[str, Any], tmp_path: Path) -> None:
    for bad in (7, "", "%d-%m-%Y %H:%M:%S" * 5):
        good_doc["local_system"]["date_format"] = bad
        paths = [p.path for p in check_document(tmp_path / "x.json", good_doc)]
        assert paths == ["$.local_system.date_format"], (bad, paths)


def test_a_connector_profile_declares_the_format_of_its_application() -> None:
    # a common local application writes the same format everywhere: its profile can say so, checked alike
    profile = json.loads((REPO / "registry/templates/nasional/sipena.json").read_text(encoding="utf-8"))
    profile["local_system"]["date_format"] = LOCAL
    assert list(template_findings(Path("sipena.json"), profile)) == []
    profile["local_system"]["date_format"] = "%d-%m-%Y"
    ((path, message, rule),) = template_findings(Path("sipena.json"), profile)
    assert (path, rule) == (["local_system", "date_format"], "date-format") and "has no hour" in message


def test_a_part_named_twice_is_explained_not_a_crash() -> None:
    # strptime cannot compile such a format (re.error, not a ValueError): the validator says why, and a
    # connector given it anyway reads a BadRecord instead of stopping the sync
    assert format_problem("%d-%m-%Y %H:%M %M") == (
        "date_format '%d-%m-%Y %H:%M %M': %M appears more than once; each part may appear only once"
    )
    record = normalise_change(
        {"r": "REG-1", "s": "BARU", "t": "02-12-2026 14:05 05"}, FIELDS, None, date_format="%d-%m-%Y %H:%M %M"
    )
    assert isinstance(record, BadRecord) and "date_format cannot be used" in record.reason, record


def test_which_formats_sort_as_text() -> None:
    assert sorts_as_text("%Y-%m-%d %H:%M:%S") and sorts_as_text("%Y%m%d%H%M") and sorts_as_text("%Y/%m/%d %H.%M.%S")
    assert not sorts_as_text(LOCAL) and not sorts_as_text("%Y-%d-%m %H:%M") and not sorts_as_text("%Y-%m-%d %I:%M %p")


# --- cursors -------------------------------------------------------------------------------------------


def test_local_cursors_order_as_time_across_months_and_years() -> None:
    wita = ZONES["WITA"]
    raw = ["03-11-2026 10:00:00", "02-12-2026 14:05:09", "31-12-2026 23:59:59", "01-01-2027 00:00:01"]
    assert sorted(raw) != raw, "as text these sort wrongly: the test would prove nothing otherwise"
    stored = [canonical_cursor(value, LOCAL, wita) for value in raw]
    assert stored == [
        "2026-11-03T10:00:00+08:00",
        "2026-12-02T14:05:09+08:00",
        "2026-12-31T23:59:59+08:00",
        "2027-01-01T00:00:01+08:00",
    ]
    newest: Any = None
    for value in reversed(stored):  # the newest first: it must stay the newest
        newest = later_cursor(newest, value)
    assert newest == "2027-01-01T00:00:01+08:00"
    for earlier, later in itertools.pairwise(stored):
        assert is_later(later, earlier) and not is_later(earlier, later)


def test_numbers_and_ids_stay_untouched() -> None:
    for value in (17, 17.5, "000123", "RW-0001", None):
        assert canonical_cursor(value, LOCAL, ZONES["WIB"]) == value
        assert local_cursor(value, LOCAL, ZONES["WIB"]) == value
    assert canonical_cursor("02-12-2026 14:05:09", None, ZONES["WIB"]) == "02-12-2026 14:05:09"  # no format: as is


def test_a_cursor_stored_in_the_local_format_before_keeps_working() -> None:
    # a ledger that read this system before the package declared its format holds local text
    old = "03-11-2026 10:00:00"
    assert local_cursor(old, LOCAL, ZONES["WIB"]) == old  # sent back as it is, never read day-for-month
    new = canonical_cursor("02-12-2026 14:05:09", LOCAL, ZONES["WIB"])
    assert later_cursor(old, new) == new and later_cursor(new, old) == new  # the comparable one takes over
    assert is_later(new, old)


@pytest.mark.parametrize(
    ("zone", "since"),
    [("WIB", "31-12-2026 23:57:00"), ("WITA", "01-01-2027 00:57:00"), ("WIT", "01-01-2027 01:57:00")],
)
def test_look_back_on_a_local_format_cursor(zone: str, since: str) -> None:
    stored = canonical_cursor("01-01-2027 00:02:00", LOCAL, ZONES["WIB"])  # read from a WIB system
    moved = cursor_with_lookback(stored, 300)
    assert moved == "2026-12-31T23:57:00+07:00"
    assert local_cursor(moved, LOCAL, ZONES[zone]) == since  # the same instant on each zone's clock


def test_a_stored_iso_cursor_goes_back_with_the_offset_the_format_writes() -> None:
    assert local_cursor("2026-12-02T06:05:09Z", "%d-%m-%Y %H:%M:%S %z", ZONES["WITA"]) == "02-12-2026 14:05:09 +0800"
    assert local_cursor(datetime(2026, 12, 2, 14, 5, 9), LOCAL, ZONES["WIT"]) == "02-12-2026 14:05:09"


@responses.activate
def test_the_rest_connector_sends_since_in_the_local_format(good_doc: dict[str, Any]) -> None:
    good_doc["local_system"]["date_format"] = LOCAL
    connector = RestConnector(good_doc, StaticSecrets({"R3576_DISPENDUK_TOKEN": "tkn"}))
    responses.get(f"{BASE}/permohonan/perubahan-status", json={"data": []})
    assert list(connector.status_changes("2026-12-31T17:00:00Z")) == [[]]
    (call,) = responses.calls
    assert parse_qs(urlparse(str(call.request.url)).query)["sejak"] == ["01-01-2027 00:00:00"]


# --- end to end: a real loopback local system, both ledgers, three zones -------------------------------


class _LocalFeed:
    """A regional app on loopback that writes dd-mm-yyyy times on its own clock and reads ``sejak`` in
    the same format (a since it cannot read is a 400, as such apps answer)."""

    def __init__(self, zone: str) -> None:
        self.zone_name = zone
        self.zone = ZONES[zone]
        self.rows: list[dict[str, Any]] = []
        self.since_seen: list[str | None] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                since = query.get("sejak", [None])[0]
                page = int(query.get("halaman", ["1"])[0])
                size = int(query.get("per_halaman", ["100"])[0])
                feed.since_seen.append(since)
                try:
                    after = datetime.strptime(since, LOCAL) if since else datetime.min
                except ValueError:
                    self._answer(400, {"status": False, "message": "format tanggal salah"})
                    return
                rows = sorted(
                    (r for r in feed.rows if datetime.strptime(r["diperbarui_pada"], LOCAL) >= after),
                    key=lambda r: datetime.strptime(r["diperbarui_pada"], LOCAL),
                )
                self._answer(200, {"data": rows[(page - 1) * size : page * size]})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def change(self, event: int, status: str, local_time: str) -> None:
        self.rows.append(
            {
                "id_riwayat": event,
                "nomor_registrasi": "REG-1",
                "id_permohonan_nasional": "NAT-1",
                "kode_status": status,
                "diperbarui_pada": local_time,
            }
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _OnePackage(PackageSource):
    """The engine's package source holding one in-memory package."""

    def __init__(self, package: dict[str, Any]) -> None:
        super().__init__(REPO / "registry")
        self.package = package

    def latest(self, service_id: str) -> dict[str, Any]:
        return self.package

    def version(self, service_id: str, version: str) -> dict[str, Any]:
        return self.package

    def status_for(self, service_id: str, version: str, local_status: str) -> str | None:
        found: str | None = self.package["local_system"]["status_map"].get(local_status)
        return found


@pytest.fixture(params=sorted(REGIONS))
def feed(request: pytest.FixtureRequest) -> Iterator[_LocalFeed]:
    served = _LocalFeed(request.param)
    yield served
    served.close()


def test_end_to_end_since_goes_local_and_events_are_stored_in_utc(
    ledger: Ledger, feed: _LocalFeed, good_doc: dict[str, Any]
) -> None:
    zone = feed.zone_name
    region = REGIONS[zone]
    package = copy.deepcopy(good_doc)
    package.update(region=region, id=f"{region}/akta-kelahiran")
    package["local_system"]["auth"]["secret_ref"] = secret = f"R{region.replace('.', '')}_DISPENDUK_TOKEN"
    package["local_system"]["date_format"] = LOCAL  # and no time_zone: the region's own zone
    service = package["id"]
    assert check_document(Path(f"{service}.json"), package) == []

    def connector(pkg: dict[str, Any]) -> LocalConnector:
        return cast(LocalConnector, RestConnector(pkg, StaticSecrets({secret: "tkn"}), base_url=feed.url))

    ctx = SyncContext(ledger, _OnePackage(package), NationalClient("http://127.0.0.1:9", "unused"), connector)
    submitted = datetime(2025, 12, 31, 9, 0, tzinfo=UTC)
    ledger.store_new_applications(
        region,
        service,
        [NewApplication("NAT-1", service, region, package["version"], submitted, {"form": {}})],
        None,
        "c1",
    )
    ledger.mark_sending("NAT-1")
    ledger.mark_delivered("NAT-1", "REG-1")

    # across a year's end: as text, 01-01-2026 sorts before 31-12-2025
    feed.change(1, "BARU", "31-12-2025 23:58:30")
    feed.change(2, "VERIFIKASI", "01-01-2026 00:01:15")
    first = pull(ctx, service, region)
    assert first["stored"] == 2 and first["quarantined"] == 0, first
    assert ledger.cursor(service, "inbound") == f"2026-01-01T00:01:15+0{HOURS[zone]}:00"

    feed.change(3, "PROSES", "02-01-2026 09:30:00")
    second = pull(ctx, service, region)
    assert second["stored"] == 1 and second["quarantined"] == 0, second
    # the first read had no cursor; the second sent the stored ISO cursor minus the 300 s look-back, in
    # the local format on the local clock
    assert feed.since_seen == [None, "31-12-2025 23:56:15"], feed.since_seen
    assert ledger.cursor(service, "inbound") == f"2026-01-02T09:30:00+0{HOURS[zone]}:00"

    events = ledger.due_events(service, 10)
    offset = timedelta(hours=HOURS[zone])
    assert [(e["national_status"], e["changed_at"]) for e in events] == [
        ("received", datetime(2025, 12, 31, 23, 58, 30, tzinfo=UTC) - offset),
        ("verifying", datetime(2026, 1, 1, 0, 1, 15, tzinfo=UTC) - offset),
        ("processing", datetime(2026, 1, 2, 9, 30, tzinfo=UTC) - offset),
    ]
    assert all(e["changed_at"].utcoffset() == timedelta(0) for e in events)


# --- sql: text cursor columns ----------------------------------------------------------------------------

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SQL_PACKAGE = json.loads((REPO / "registry/packages/35.76/surat-keterangan-tidak-mampu.json").read_text())


@pytest.fixture
def pg_log() -> Iterator[str]:
    """A PostgreSQL database whose status log keeps its times as text (VARCHAR), as some PHP apps do."""
    name = f"mpphub_fmt_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE tb_sktm_log (id_log SERIAL PRIMARY KEY, id_sktm INTEGER, status VARCHAR(2), tgl_update VARCHAR(30))"
            )
        )
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _sql_connector(url: str, date_format: str, cursor_column: str) -> SqlConnector:
    package = copy.deepcopy(SQL_PACKAGE)
    package["local_system"]["dialect"] = "postgresql"
    package["local_system"]["date_format"] = date_format
    spec = package["local_system"]["tables"]["status_changes"]
    spec["cursor_column"] = cursor_column
    spec["columns"] = {"reference": "id_sktm", "status": "status", "changed_at": "tgl_update", "event_id": "id_log"}
    return SqlConnector(package, StaticSecrets({"R3576_DINSOS_DB_URL": url}))


def test_sql_text_cursor_column_in_a_sortable_format(pg_log: str) -> None:
    fmt = "%Y/%m/%d %H.%M.%S"
    engine = create_engine(pg_log)
    with engine.begin() as conn:
        for ref, status, at in [
            (1, "1", "2025/12/31 23.58.30"),
            (1, "2", "2026/01/01 00.01.15"),
            (2, "1", "2026/01/02 09.30.00"),
        ]:
            conn.execute(
                text("INSERT INTO tb_sktm_log (id_sktm, status, tgl_update) VALUES (:r, :s, :t)"),
                {"r": ref, "s": status, "t": at},
            )
    engine.dispose()
    connector = _sql_connector(pg_log, fmt, "tgl_update")
    try:
        (page,) = list(connector.status_changes(None))
        assert [r.cursor for r in page] == [
            "2025-12-31T23:58:30+07:00",
            "2026-01-01T00:01:15+07:00",
            "2026-01-02T09:30:00+07:00",
        ]
        assert all(isinstance(r, ChangeRecord) for r in page)
        assert page[0].changed_at == _utc(2025, 12, 31, 16, 58, 30)  # type: ignore[union-attr]
        # the stored ISO cursor goes to the database as text in the local format: only the later rows
        (after,) = list(connector.status_changes("2025-12-31T17:00:00Z"))  # = 2026/01/01 00.00.00 WIB
        assert [r.cursor for r in after] == ["2026-01-01T00:01:15+07:00", "2026-01-02T09:30:00+07:00"]
    finally:
        connector.close()


def test_sql_text_cursor_column_that_sorts_wrongly_is_fatal_and_an_id_cursor_is_fine(pg_log: str) -> None:
    engine = create_engine(pg_log)
    with engine.begin() as conn:
        for status, at in [("1", "03-11-2026 10:00:00"), ("2", "02-12-2026 14:05:09")]:
            conn.execute(
                text("INSERT INTO tb_sktm_log (id_sktm, status, tgl_update) VALUES (1, :s, :t)"), {"s": status, "t": at}
            )
    engine.dispose()
    by_text = _sql_connector(pg_log, LOCAL, "tgl_update")
    by_id = _sql_connector(pg_log, LOCAL, "id_log")
    try:
        with pytest.raises(FatalError, match="sorts as text, not as time"):
            list(by_text.status_changes("2026-11-01T00:00:00+07:00"))
        (page,) = list(by_id.status_changes("0"))
        assert [r.cursor for r in page] == [1, 2]  # ids stay ids
        assert [r.changed_at for r in page if isinstance(r, ChangeRecord)] == [
            _utc(2026, 11, 3, 3, 0, 0),
            _utc(2026, 12, 2, 7, 5, 9),
        ]
    finally:
        by_text.close()
        by_id.close()
