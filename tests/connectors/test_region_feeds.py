"""Region feeds (issue 18 item 5): one local status feed for several services of a region, each row naming
its service. Before, the packages could only filter the feed in ``records_path`` (a page the filter emptied
ended the read: 1 of 58 histories complete) or read it whole, matching rows by national id whatever service
read them (117 events under the wrong service). Now the feed is declared (``status_changes.feed``), read
once per cycle, routed by service code; rows of no package are quarantined; the ledger never matches a row
to another service's application. Against a real loopback server, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from connectors.kinds import LocalConnector
from connectors.ledger.models import DeadLetter, StatusEvent
from connectors.ledger.store import Ledger, NewApplication, StatusChange
from connectors.national import NationalClient
from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets
from connectors.sync.context import SyncContext
from connectors.sync.engine import SyncEngine
from connectors.sync.packages import PackageSource
from registry.validate import validate_files
from tests.conftest import REPO

REGION = "35.76"
CODES = {"AKTA": f"{REGION}/akta-kelahiran", "KIA": f"{REGION}/kartu-identitas-anak", "PINDAH": f"{REGION}/pindah"}
SECRET_NAME = "R3576_DISPENDUK_TOKEN"  # noqa: S105 - the name of a secret, not its value


class _RegionFeedServer:
    """A regional app on loopback serving ONE status feed for all its services (each row names its service
    in ``kode_layanan``); it counts the reads."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.reads: list[dict[str, list[str]]] = []
        self.status = 200  # what the feed answers (401: the key was revoked)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                server.reads.append(query)
                since = query.get("sejak", [""])[0]
                page, size = int(query.get("halaman", ["1"])[0]), int(query.get("per_halaman", ["100"])[0])
                rows = sorted((r for r in server.rows if r["waktu"] >= since), key=lambda r: r["waktu"])
                body = json.dumps({"data": rows[(page - 1) * size : page * size]}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def row(self, code: str, event: int, reference: str, status: str, at: str, national_id: str = "") -> None:
        self.rows.append(
            {
                "kode_layanan": code,
                "id_riwayat": event,
                "nomor_registrasi": reference,
                "id_permohonan_nasional": national_id,
                "kode_status": status,
                "waktu": at,
            }
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _member(base: dict[str, Any], service_id: str, code: str) -> dict[str, Any]:
    package = copy.deepcopy(base)
    package["id"] = service_id
    operation = package["local_system"]["operations"]["status_changes"]
    operation.pop("query", None)  # one feed for every service: no per-service filter
    operation["path"] = "/status/feed"
    operation["cursor"] = {"param": "sejak", "field": "waktu", "lookback_seconds": 0}
    operation["fields"] = {
        "reference": "nomor_registrasi",
        "status": "kode_status",
        "changed_at": "waktu",
        "event_id": "id_riwayat",
        "national_id": "id_permohonan_nasional",
    }
    operation["feed"] = {"name": "status-dpmptsp", "service_code_path": "kode_layanan", "service_code": code}
    return package


class _Packages(PackageSource):
    """The engine's package source over in-memory packages of one region."""

    def __init__(self, packages: list[dict[str, Any]]) -> None:
        super().__init__(REPO / "registry")
        self.packages = {p["id"]: p for p in packages}
        self.__dict__["index"] = {
            "packages": {p["id"]: {"region": p["region"], "latest": p["version"]} for p in packages}
        }

    def latest(self, service_id: str) -> dict[str, Any]:
        return self.packages[service_id]

    def version(self, service_id: str, version: str) -> dict[str, Any]:
        return self.packages[service_id]

    def status_for(self, service_id: str, version: str, local_status: str) -> str | None:
        found: str | None = self.packages[service_id]["local_system"]["status_map"].get(local_status)
        return found


@pytest.fixture
def feed_server() -> Iterator[_RegionFeedServer]:
    served = _RegionFeedServer()
    yield served
    served.close()


def _world(ledger: Ledger, server: _RegionFeedServer, base: dict[str, Any]) -> tuple[SyncEngine, _Packages]:
    packages = _Packages([_member(base, service, code) for code, service in CODES.items()])

    def connector(pkg: dict[str, Any]) -> LocalConnector:
        return cast(LocalConnector, RestConnector(pkg, StaticSecrets({SECRET_NAME: "tkn"}), base_url=server.url))

    national = NationalClient("http://127.0.0.1:9", "unused")
    return SyncEngine(SyncContext(ledger, packages, national, connector), "w1"), packages


def _application(ledger: Ledger, service: str, national_id: str, reference: str) -> None:
    submitted = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    item = NewApplication(national_id, service, REGION, "1.0.0", submitted, {"form": {}})
    ledger.store_new_applications(REGION, service, [item], ledger.cursor(service, "outbound"), national_id)
    ledger.mark_sending(national_id)
    ledger.mark_delivered(national_id, reference)


def _events(ledger: Ledger) -> list[tuple[str, str, str]]:
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(StatusEvent.service_id, StatusEvent.national_id, StatusEvent.national_status))
        return sorted((r.service_id, r.national_id, r.national_status) for r in rows)


def _dead_letters(ledger: Ledger) -> list[tuple[str, str]]:
    with ledger.engine.connect() as conn:
        return sorted((r.service_id, r.reason) for r in conn.execute(select(DeadLetter.service_id, DeadLetter.reason)))


def test_a_region_feed_is_read_once_per_cycle_and_each_row_goes_to_its_service(
    ledger: Ledger, feed_server: _RegionFeedServer, good_doc: dict[str, Any]
) -> None:
    engine, _ = _world(ledger, feed_server, good_doc)
    _application(ledger, CODES["AKTA"], "NAT-A", "REG-A")
    _application(ledger, CODES["KIA"], "NAT-K", "REG-K")
    _application(ledger, CODES["PINDAH"], "NAT-P", "REG-P")
    feed_server.row("AKTA", 1, "REG-A", "BARU", "2026-12-02T09:00:00")
    feed_server.row("KIA", 2, "REG-K", "BARU", "2026-12-02T09:00:01")
    feed_server.row("PINDAH", 3, "REG-P", "BARU", "2026-12-02T09:00:02")
    feed_server.row("SIUP", 4, "REG-X", "BARU", "2026-12-02T09:00:03")  # no package has this code
    feed_server.row("KIA", 5, "REG-K", "VERIFIKASI", "2026-12-02T09:00:04")

    results = engine.run_once(flows=["inbound"])
    assert not any(r.errors or r.fatal for r in results), [r.errors for r in results]
    assert len(feed_server.reads) == 1, "one read for the region's three services"
    assert _events(ledger) == [
        (CODES["AKTA"], "NAT-A", "received"),
        (CODES["KIA"], "NAT-K", "received"),
        (CODES["KIA"], "NAT-K", "verifying"),
        (CODES["PINDAH"], "NAT-P", "received"),
    ]
    # the row of no package is kept with its reason, under the feed's first service; it stalled nothing
    assert _dead_letters(ledger) == [
        (CODES["AKTA"], "region feed status-dpmptsp: no package of the region declares service code 'SIUP'")
    ]
    key = f"{REGION}/feed:status-dpmptsp"
    assert ledger.cursor(key, "inbound") == "2026-12-02T09:00:04", "one cursor for the feed, past every row"
    assert all(ledger.cursor(s, "inbound") is None for s in CODES.values()), "no per-service cursor"

    feed_server.row("PINDAH", 6, "REG-P", "VERIFIKASI", "2026-12-02T09:10:00")
    engine.run_once(flows=["inbound"])
    assert len(feed_server.reads) == 2, "the next cycle reads it once again"
    assert feed_server.reads[1]["sejak"] == ["2026-12-02T09:00:04"], "from the feed's cursor"
    assert (CODES["PINDAH"], "NAT-P", "verifying") in _events(ledger)


def test_a_row_naming_another_services_application_is_never_stored_under_the_wrong_service(
    ledger: Ledger, feed_server: _RegionFeedServer, good_doc: dict[str, Any]
) -> None:
    engine, _ = _world(ledger, feed_server, good_doc)
    _application(ledger, CODES["AKTA"], "NAT-A", "REG-A")
    _application(ledger, CODES["KIA"], "NAT-K", "REG-K")
    # the KIA row names the AKTA application's national id (a local system that reuses ids, a bad join)
    feed_server.row("KIA", 1, "REG-K", "BARU", "2026-12-02T09:00:00", national_id="NAT-A")
    engine.run_once(flows=["inbound"])
    assert _events(ledger) == [], "no event under KIA for AKTA's application, none under AKTA for a KIA row"
    assert _dead_letters(ledger) == [
        (CODES["KIA"], f"status change names an application of another service, not {CODES['KIA']}")
    ]


def test_the_ledger_refuses_a_change_for_another_services_application(ledger: Ledger) -> None:
    # the ledger enforces it, whatever a reader routed (an ordinary per-service feed as well)
    _application(ledger, CODES["AKTA"], "NAT-A", "REG-A")
    change = StatusChange("ev-1", "REG-A", "VERIFIKASI", datetime(2026, 12, 2, 2, 0, tzinfo=UTC), None, "NAT-A")
    counts = ledger.store_status_changes(
        REGION, CODES["KIA"], [change], [], None, "c1", {"submitted": ["received"]}, lambda v, s: "received"
    )
    assert (counts.stored, counts.quarantined) == (0, 1)
    assert _events(ledger) == []


def test_a_member_declaring_the_feed_otherwise_is_stopped_and_its_rows_held(
    ledger: Ledger, feed_server: _RegionFeedServer, good_doc: dict[str, Any]
) -> None:
    engine, packages = _world(ledger, feed_server, good_doc)
    odd = packages.packages[CODES["PINDAH"]]["local_system"]["operations"]["status_changes"]
    odd["path"] = "/status/feed-lama"  # one member reads another path: the feed cannot be read both ways
    _application(ledger, CODES["PINDAH"], "NAT-P", "REG-P")
    feed_server.row("PINDAH", 1, "REG-P", "BARU", "2026-12-02T09:00:00")
    results = {r.service_id: r for r in engine.run_once(flows=["inbound"])}
    fatal = results[CODES["PINDAH"]].fatal
    assert fatal is not None
    assert "declared unlike its first service" in fatal and "status_changes.path" in fatal
    assert not results[CODES["AKTA"]].fatal and not results[CODES["KIA"]].fatal
    assert _events(ledger) == []
    ((service, reason),) = _dead_letters(ledger)
    assert service == CODES["AKTA"] and "service code 'PINDAH'" in reason and "declared unlike" in reason


def test_validate_explains_a_region_feed_declared_two_ways_or_a_code_used_twice(
    tmp_path: Path, good_doc: dict[str, Any]
) -> None:
    folder = tmp_path / "packages" / REGION
    folder.mkdir(parents=True)
    files = []
    for code, service in [("AKTA", CODES["AKTA"]), ("AKTA", CODES["KIA"]), ("PINDAH", CODES["PINDAH"])]:
        package = _member(good_doc, service, code)
        if service == CODES["PINDAH"]:
            package["local_system"]["operations"]["status_changes"]["pagination"]["page_size"] = 50
        path = folder / f"{service.split('/')[1]}.json"
        path.write_text(json.dumps(package), encoding="utf-8")
        files.append(path)
    report = validate_files(files, jobs=1)
    messages = {(Path(p.file).stem, p.path): p.message for p in report.problems}
    assert set(messages) == {
        ("kartu-identitas-anak", "$.local_system.operations.status_changes.feed.service_code"),
        ("pindah", "$.local_system.operations.status_changes.feed"),
    }, messages
    assert "is also" in messages[("kartu-identitas-anak", "$.local_system.operations.status_changes.feed.service_code")]
    assert "declare it alike" in messages[("pindah", "$.local_system.operations.status_changes.feed")]


def test_a_filter_in_records_path_is_refused_with_the_region_feed_as_the_way(
    tmp_path: Path, good_doc: dict[str, Any]
) -> None:
    good_doc["local_system"]["operations"]["status_changes"]["records_path"] = "data[?kode_layanan=='AKTA']"
    path = tmp_path / "packages" / REGION / "akta-kelahiran.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(good_doc), encoding="utf-8")
    (problem,) = validate_files([path], jobs=1).problems
    assert problem.path == "$.local_system.operations.status_changes.records_path"
    assert "ends the read" in problem.message and "status_changes.feed" in problem.message


def test_a_failed_region_feed_read_is_every_members_failure(
    ledger: Ledger, feed_server: _RegionFeedServer, good_doc: dict[str, Any]
) -> None:
    engine, _ = _world(ledger, feed_server, good_doc)
    feed_server.status = 401  # the region's key was revoked: nobody's statuses flow
    results = engine.run_once(flows=["inbound"])
    assert len(feed_server.reads) == 1, "read once, failed once"
    fatal = {r.service_id: r.fatal for r in results}
    assert all(fatal.values()), fatal
    reader = fatal.pop(CODES["AKTA"])
    assert reader is not None and "401" in reader
    assert all(
        message is not None
        and "region feed read by another service of the region failed" in message
        and "401" in message
        for message in fatal.values()
    ), fatal


class _CountingPackages(_Packages):
    """Counts which packages are read: finding a service's feed must not read the whole registry."""

    def __init__(self, packages: list[dict[str, Any]]) -> None:
        super().__init__(packages)
        self.read: set[str] = set()

    def latest(self, service_id: str) -> dict[str, Any]:
        self.read.add(service_id)
        return super().latest(service_id)


def test_finding_a_feed_reads_only_the_services_own_region(ledger: Ledger, good_doc: dict[str, Any]) -> None:
    members = [_member(good_doc, service, code) for code, service in CODES.items()]
    elsewhere = copy.deepcopy(good_doc)
    elsewhere.update(id="35.16/akta-kelahiran", region="35.16")  # another region, no feed
    packages = _CountingPackages([*members, elsewhere])
    national = NationalClient("http://127.0.0.1:9", "unused")
    ctx = SyncContext(ledger, packages, national, lambda pkg: cast(LocalConnector, None))
    assert ctx.feeds.feed_of(ctx, "35.16/akta-kelahiran") is None
    assert packages.read == {"35.16/akta-kelahiran"}, "a service without a feed looks at its own package only"
    packages.read.clear()
    feed = ctx.feeds.feed_of(ctx, CODES["KIA"])
    assert feed is not None and feed.owner == CODES["AKTA"] and set(feed.members.values()) == set(CODES.values())
    assert packages.read == set(CODES.values()), "its region's packages, never the rest of the registry"
    packages.read.clear()
    assert ctx.feeds.feed_of(ctx, CODES["PINDAH"]) is feed
    assert packages.read == {CODES["PINDAH"]}, "the region is looked at once"
