"""`mpphub check` exercises what a sync will meet (issue 18, "no silent failure"): the real submit
encoding, an answer the system must refuse, a lookup of an unknown national id and a date round-trip —
and fails when the system answers something the package cannot read.

The local system is a small loopback ``http.server`` in the common regional PHP style none of the
sandbox's styles copies: form posts, HTTP 200 envelopes with the failure inside, ``dd-mm-yyyy`` times,
the API key in the query. Each test turns one of its answers into the case it checks."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from tests.conftest import REPO, CliResult

KEY = "kunci-sipp-benar"
WIB = timezone(timedelta(hours=7))
WIT = timezone(timedelta(hours=9))
LOCAL_FORMAT = "%d-%m-%Y %H:%M:%S"
BASE = json.loads((REPO / "registry" / "packages" / "35.76" / "akta-kelahiran.json").read_text(encoding="utf-8"))
LOCAL_SYSTEM: dict[str, Any] = {
    "kind": "rest",
    "name": "SIPP Kota Mojokerto",
    "base_url": "https://sipp.mojokertokota.go.id/api",
    "auth": {"type": "api_key", "in": "query", "name": "key", "secret_ref": "R3576_SIPP_KEY"},
    "envelope": {"success": "status == `true`", "message": "message"},
    "errors": [
        {"status": "200", "message_contains": "api key", "action": "fatal"},
        {"status": "200", "message_contains": "sibuk", "action": "retry"},
    ],
    "date_format": LOCAL_FORMAT,
    "operations": {
        "submit": {
            "method": "POST",
            "path": "/permohonan/simpan",
            "body_encoding": "form",
            "body": {
                "id_nasional": "application.id",
                "pemohon[nik]": "form.nik_pelapor",
                "pemohon.nama": "form.nama_pelapor",
                "anak[nama]": "form.nama_anak",
            },
            "reference_path": "data.no_reg",
        },
        "lookup": {
            "method": "GET",
            "path": "/permohonan/cari",
            "query": {"id_nasional": "{application.id}"},
            "reference_path": "data.no_reg",
        },
        "status_changes": {
            "method": "GET",
            "path": "/permohonan/riwayat",
            "records_path": "data",
            "pagination": {"style": "page_number", "page_param": "page", "size_param": "per_page", "page_size": 100},
            "cursor": {"param": "sejak", "field": "diubah", "lookback_seconds": 300},
            "fields": {"reference": "no_reg", "status": "kode_status", "changed_at": "diubah"},
        },
    },
    "status_map": {"BARU": "received", "PROSES": "processing", "SELESAI": "approved", "DITOLAK": "rejected"},
    "idempotency": {"strategy": "lookup_by_reference"},
}


class PhpStyle:
    """The local system's behaviour, changed by each test through its attributes."""

    def __init__(self) -> None:
        self.url = ""
        self.posts: list[tuple[str, list[str]]] = []  # (Content-Type, field names) of each POST received
        self.requests: list[str] = []  # "METHOD path" of each request
        now = datetime.now(UTC)
        # the officers' last changes, written as the system writes them: dd-mm-yyyy on the WIB clock
        self.times = [(now - timedelta(minutes=m)).astimezone(WIB).strftime(LOCAL_FORMAT) for m in (30, 20, 10)]
        self.wrong_key: Any = {"status": False, "message": "API key tidak valid", "data": None}
        self.lookup: Any = {"status": True, "message": "OK", "data": None}  # not found, said as a success
        self.everything: Any = None  # when set: the answer to every request, whatever it is
        self.lenient_cursor = False
        self.require_key = True
        self.created: set[str] = set()  # national ids of the applications submitted


def _handler(system: PhpStyle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

        def _answer(self, body: Any, status: int = 200) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if isinstance(body, bytes) else "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _route(self, method: str) -> Any:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            system.requests.append(f"{method} {parts.path}")
            if method == "POST":
                length = int(self.headers.get("Content-Length", "0"))
                fields = parse_qsl(self.rfile.read(length).decode("ascii"), keep_blank_values=True)
                system.posts.append((self.headers.get("Content-Type", ""), [name for name, _ in fields]))
                system.created.update(value for name, value in fields if name == "id_nasional")
            if system.everything is not None:
                return system.everything
            if system.require_key and query.get("key") != KEY:
                return system.wrong_key
            if parts.path.endswith("/permohonan/riwayat"):
                since = query.get("sejak")
                if since is not None and not system.lenient_cursor:
                    try:
                        datetime.strptime(since, LOCAL_FORMAT)
                    except ValueError:
                        return {"status": False, "message": "Format tanggal sejak salah", "data": None}
                rows = [{"no_reg": f"REG-{i}", "kode_status": "BARU", "diubah": t} for i, t in enumerate(system.times)]
                return {"status": True, "message": "OK", "data": [] if query.get("page") != "1" else rows}
            if parts.path.endswith("/permohonan/cari"):
                if query.get("id_nasional") in system.created:
                    return {"status": True, "message": "OK", "data": {"no_reg": "REG-99"}}
                return system.lookup
            if parts.path.endswith("/permohonan/simpan"):
                return {"status": True, "message": "Tersimpan", "data": {"no_reg": "REG-99"}}
            return {"status": False, "message": "tidak ada", "data": None}

        def do_GET(self) -> None:
            self._answer(self._route("GET"))

        def do_POST(self) -> None:
            self._answer(self._route("POST"))

    return Handler


@pytest.fixture
def php_style(monkeypatch: pytest.MonkeyPatch) -> Iterator[PhpStyle]:
    system = PhpStyle()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(system))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    system.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    monkeypatch.delenv("MPPHUB_ALLOWED_HOSTS", raising=False)
    monkeypatch.setenv("R3576_SIPP_KEY", KEY)
    try:
        yield system
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def package(tmp_path: Path) -> Callable[..., Path]:
    """Write the PHP-style package (35.76/akta-kelahiran on SIPP), changed by ``change``, where a team would."""

    def write(change: Callable[[dict[str, Any]], None] | None = None) -> Path:
        doc = copy.deepcopy(BASE)
        doc["local_system"] = copy.deepcopy(LOCAL_SYSTEM)
        if change is not None:
            change(doc)
        path = tmp_path / "packages" / "35.76" / "akta-kelahiran.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    return write


def _check(cli: Callable[..., CliResult], path: Path, system: PhpStyle, *extra: str) -> tuple[int, dict[str, Any]]:
    result = cli("check", path, "--local-url", system.url, "--format", "json", "--seed", "5", *extra)
    assert "Traceback" not in result.out + result.err
    # no personal data in what the team sees: the test form's NIKs and phone numbers are never printed
    assert not re.search(r"(?<![0-9])[0-9]{16}(?![0-9])|(?<![0-9])08[0-9]{8,12}(?![0-9])", result.out), result.out
    assert KEY not in result.out and "wrong-credential" not in result.out  # nor the key, nor the wrong one
    steps = {step["name"]: step for step in result.json()["steps"]}
    assert steps["package"]["outcome"] == "ok", steps["package"]
    return result.code, steps


def test_a_form_style_system_passes_every_step_and_nothing_is_written(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    code, steps = _check(cli, package(), php_style)
    assert code == 0, steps
    assert {n: s["outcome"] for n, s in steps.items()} == {
        "package": "ok",
        "host policy": "ok",
        "credentials": "ok",
        "status feed": "ok",
        "date round-trip": "ok",
        "walk-in feed": "skipped",
        "error answer": "ok",
        "lookup": "ok",
        "submit encoding": "ok",
        "submit": "skipped",
    }
    dates = steps["date round-trip"]["detail"]
    assert "3 record(s), every changed_at reads as %d-%m-%Y %H:%M:%S in WIB" in dates
    assert "3 time cursor(s)" in dates
    # the refusal of a wrong key inside a 200 is read as the errors table says, with the system's message
    error = steps["error answer"]["detail"]
    assert "the status feed with a wrong credential: refused, read as fatal" in error
    assert "a lookup with a wrong credential: refused, read as fatal" in error and "API key tidak valid" in error
    encoding = steps["submit encoding"]["detail"]
    assert encoding.startswith("POST /api/permohonan/simpan as application/x-www-form-urlencoded (form)")
    assert "4 field(s): id_nasional, pemohon[nik], pemohon[nama], anak[nama]" in encoding
    assert "not sent (read-only: --write submits it)" in encoding
    assert php_style.posts == []  # read-only: nothing was submitted


def test_with_write_the_system_receives_what_submit_encoding_showed(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    code, steps = _check(cli, package(), php_style, "--write")
    assert code == 0, steps
    assert steps["submit"]["outcome"] == "ok"
    assert len(php_style.posts) == 1
    content_type, names = php_style.posts[0]
    assert content_type == "application/x-www-form-urlencoded"
    assert f"as {content_type} (form)" in steps["submit encoding"]["detail"]
    assert f"{len(names)} field(s): {', '.join(names)};" in steps["submit encoding"]["detail"]
    assert "sent by the submit step" in steps["submit encoding"]["detail"]


def test_a_multipart_body_shows_its_parts(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    path = package(lambda d: d["local_system"]["operations"]["submit"].update(body_encoding="multipart"))
    code, steps = _check(cli, path, php_style)
    assert code == 0, steps
    encoding = steps["submit encoding"]["detail"]
    assert "as multipart/form-data; boundary=" in encoding and "(multipart)" in encoding
    assert "4 field(s): id_nasional, pemohon[nik], pemohon[nama], anak[nama]" in encoding


def test_iso_times_against_a_declared_local_format_fail_the_date_step(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    php_style.times = [datetime.now(WIB).replace(microsecond=0, tzinfo=None).isoformat()]
    code, steps = _check(cli, package(), php_style)
    assert code == 1
    dates = steps["date round-trip"]
    assert dates["outcome"] == "failed"
    assert "does not read as %d-%m-%Y %H:%M:%S in WIB" in dates["detail"]
    assert php_style.times[0] in dates["detail"]  # the offending value is shown (nothing personal in it)


def test_local_times_without_the_declared_format_fail_the_date_step(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """The package forgot ``date_format``: the system's dd-mm-yyyy times are not ISO 8601."""
    code, steps = _check(cli, package(lambda d: d["local_system"].pop("date_format")), php_style)
    assert code == 1
    dates = steps["date round-trip"]
    assert dates["outcome"] == "failed" and "does not read as ISO 8601 in WIB" in dates["detail"], dates


def test_times_on_another_zone_read_as_future_fail_the_date_step(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """The system writes WIT (UTC+9) wall-clock times; the package (Kota Mojokerto) reads them as WIB."""
    php_style.times = [datetime.now(WIT).strftime(LOCAL_FORMAT)]
    code, steps = _check(cli, package(), php_style)
    assert code == 1
    dates = steps["date round-trip"]
    assert dates["outcome"] == "failed"
    assert "min in the future: is the zone right (time_zone)?" in dates["detail"], dates
    declared = package(lambda d: d["local_system"].update(time_zone="WIT"))
    code, steps = _check(cli, declared, php_style)
    assert code == 0 and "reads as %d-%m-%Y %H:%M:%S in WIT" in steps["date round-trip"]["detail"], steps


def test_a_cursor_that_does_not_come_back_as_it_was_sent_fails(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """Milliseconds written with 3 digits, read with ``%f``: sent back with 6, the system would not match it."""
    now = datetime.now(WIB) - timedelta(minutes=1)
    php_style.times = [now.strftime(LOCAL_FORMAT) + ".123"]
    path = package(lambda d: d["local_system"].update(date_format=LOCAL_FORMAT + ".%f"))
    code, steps = _check(cli, path, php_style)
    assert code == 1
    detail = steps["date round-trip"]["detail"]
    assert f"cursor {php_style.times[0]!r} comes back as {php_style.times[0] + '000'!r}" in detail, detail
    assert "not the same text" in detail


def test_an_unreadable_time_is_shown_masked(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    php_style.times = ["081234567890"]  # a phone number where the time should be
    code, steps = _check(cli, package(), php_style)
    assert code == 1
    detail = steps["date round-trip"]["detail"]
    assert "0812******90" in detail and "081234567890" not in detail


def test_a_system_answering_200_status_false_to_everything_fails_the_error_step_without_an_envelope(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    """Without an envelope every such answer is a success: an empty feed, a "not found". Only the probe
    that must be refused shows it."""

    def no_envelope(doc: dict[str, Any]) -> None:
        doc["local_system"].pop("envelope")
        doc["local_system"].pop("errors")

    php_style.everything = {"status": False, "message": "Gagal", "data": None}
    code, steps = _check(cli, package(no_envelope), php_style)
    assert code == 1
    assert steps["status feed"]["outcome"] == "ok"  # the silent failure the check exists for
    assert steps["lookup"]["outcome"] == "ok"
    error = steps["error answer"]
    assert error["outcome"] == "failed", error
    assert "the status feed with a wrong credential: read as success (a feed page of 0 record(s))" in error["detail"]
    assert "a lookup with a wrong credential: read as success (not found)" in error["detail"]
    assert "declare local_system.envelope" in error["detail"]


def test_a_wrong_key_answered_as_a_success_fails_the_error_step(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    php_style.wrong_key = {"status": True, "message": "OK", "data": []}  # the system does not check its key
    code, steps = _check(cli, package(), php_style)
    assert code == 1
    error = steps["error answer"]
    assert error["outcome"] == "failed"
    assert "read as success" in error["detail"] and "status == `true`" in error["detail"]


def test_a_refusal_read_as_retriable_is_a_warning(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    php_style.wrong_key = {"status": False, "message": "Server sedang sibuk", "data": None}
    code, steps = _check(cli, package(), php_style)
    assert code == 0  # the team decides: it is classified, just not as what it is
    assert steps["error answer"]["outcome"] == "warning"
    assert "read as retriable" in steps["error answer"]["detail"]


def test_an_unreadable_refusal_fails_the_error_step(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    php_style.wrong_key = b"<html><body>Akses ditolak</body></html>"
    code, steps = _check(cli, package(), php_style)
    assert code == 1
    error = steps["error answer"]
    assert error["outcome"] == "failed" and "the answer cannot be read" in error["detail"], error


def test_without_credentials_the_error_step_sends_a_bad_cursor(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult]
) -> None:
    def no_auth(doc: dict[str, Any]) -> None:
        doc["local_system"]["auth"] = {"type": "none"}

    php_style.require_key = False
    path = package(no_auth)
    code, steps = _check(cli, path, php_style)
    assert code == 0, steps
    error = steps["error answer"]
    assert error["outcome"] == "ok"
    assert "a cursor that is no time and no id: refused, read as fatal" in error["detail"]
    assert "Format tanggal sejak salah" in error["detail"]
    php_style.lenient_cursor = True
    code, steps = _check(cli, path, php_style)
    assert code == 0 and steps["error answer"]["outcome"] == "warning"
    assert "could not make the system refuse anything" in steps["error answer"]["detail"]

    def neither(doc: dict[str, Any]) -> None:
        no_auth(doc)
        doc["local_system"].pop("envelope")
        doc["local_system"].pop("errors")

    code, steps = _check(cli, package(neither), php_style)
    assert steps["error answer"]["outcome"] == "skipped"
    assert "no credentials to get wrong" in steps["error answer"]["detail"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"<html>Terjadi kesalahan</html>", "retriable: GET"),  # not JSON: the lookup cannot be read
        ({"status": True, "data": {"no_reg": "REG-7"}}, "answered reference 'REG-7'"),  # found what cannot exist
        ({"status": False, "message": "Server sedang sibuk", "data": None}, "retriable:"),  # busy, never "not found"
    ],
)
def test_a_lookup_that_does_not_say_not_found_cleanly_fails(
    php_style: PhpStyle, package: Callable[..., Path], cli: Callable[..., CliResult], answer: Any, message: str
) -> None:
    php_style.lookup = answer
    code, steps = _check(cli, package(), php_style)
    assert code == 1
    lookup = steps["lookup"]
    assert lookup["outcome"] == "failed" and message in lookup["detail"], lookup
