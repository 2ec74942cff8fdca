"""Request encodings per operation (issue 18, item 1): ``operations.submit.body_encoding`` json (default),
form (bracket or dotted nesting) and multipart (with the application's files as parts).

Request shaping with `responses` (exact bytes and Content-Type; nothing leaves the process, the base URL is
loopback), then a real loopback HTTP server that parses the post the way a regional PHP app does, then
``mpphub validate`` on the new fields and the ``request-encoding`` rule."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import pytest
import responses
from werkzeug.formparser import parse_form_data

from connectors.encodings import form_fields
from connectors.errors import FatalError, RecordError, RetriableError
from connectors.http import ResponseTooLarge
from connectors.mapping import build_object, target_path
from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets

BASE = "http://127.0.0.1:9/api/v1"
SUBMIT_URL = f"{BASE}/permohonan"
SECRETS = StaticSecrets({"R3576_DISPENDUK_TOKEN": "tkn-1"})
ENVELOPE = {"id": "NAT-7", "submitted_at": "2026-11-02T08:00:00Z", "service_id": "35.76/akta-kelahiran"}
# synthetic values only; the note holds & and = and a space, the address non-ASCII text
FORM: dict[str, Any] = {
    "nik_pelapor": "3576010101900001",
    "nama_pelapor": "Siti Ayu",
    "catatan": "a&b=c d",
    "alamat": "Jl. Kenanga № 5 – Blok É",
    "berkas": [{"nama": "KTP", "halaman": 2}, {"nama": "KK", "asli": True}],
    "anak_ke": 2,
}
BODY = {
    "pemohon[nik]": "form.nik_pelapor",  # bracket form: verbatim in a form body, nested in JSON
    "pemohon.nama": "form.nama_pelapor",  # dotted: nested, written by form_nesting
    "catatan": "form.catatan",
    "alamat": "form.alamat",
    "berkas": "form.berkas",  # a list of objects: berkas[0][nama]...
    "anak_ke": "form.anak_ke",
    "ayah.nama": "form.nama_ayah",  # absent from the form: left out
    "jenis": "'AKTA_LAHIR'",
}
OK = {"status": True, "data": {"nomor_registrasi": "REG-7"}}
_CONTENTS = [
    (
        {"requirement_id": "ktp", "filename": "ktp pemohon.pdf", "media_type": "application/pdf"},
        b"%PDF-1.4 ktp\x00\xff",
    ),
    ({"requirement_id": "kk", "filename": "kartu-keluarga.jpg", "media_type": "image/jpeg"}, b"\xff\xd8\xff kk"),
]
# what fetch_files returns: the envelope's attachment metadata (sha256-checked) with the bytes
FILES = [({**meta, "sha256": hashlib.sha256(content).hexdigest(), "url": "x"}, content) for meta, content in _CONTENTS]


def _package(good_doc: dict[str, Any], **submit: Any) -> dict[str, Any]:
    doc = copy.deepcopy(good_doc)
    op = doc["local_system"]["operations"]["submit"]
    op["body"] = dict(BODY)
    op.pop("attachments", None)
    op.update(submit)
    doc["local_system"]["envelope"] = {"success": "status == `true`", "message": "message"}
    return doc


def _connector(good_doc: dict[str, Any], base_url: str = BASE, **submit: Any) -> RestConnector:
    return RestConnector(_package(good_doc, **submit), SECRETS, base_url=base_url)


def _with_files(envelope: dict[str, Any]) -> dict[str, Any]:
    return {**envelope, "attachments": [meta for meta, _ in FILES]}


def _multipart(body: bytes, content_type: str) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, str, bytes]]]]:
    """Parse a multipart body as a web framework does (werkzeug): fields and (file name, type, bytes)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _, form, files = parse_form_data(environ)
    fields = {name: form.getlist(name) for name in form}
    parts = {name: [(f.filename or "", f.mimetype, f.read()) for f in files.getlist(name)] for name in files}
    for name in files:  # werkzeug spools each file to a temporary file: closed once read
        for upload in files.getlist(name):
            upload.close()
    return fields, parts


# --- the mapping and the flattening ---------------------------------------------------------------------


def test_bracket_and_dotted_targets_name_the_same_nesting() -> None:
    assert target_path("pemohon[nik]") == target_path("pemohon.nik") == ("pemohon", "nik")
    assert target_path("berkas[0][nama]") == ("berkas", "0", "nama")
    assert target_path("plain") == ("plain",)
    data = {"form": FORM}
    assert build_object({"p[nik]": "form.nik_pelapor", "p.nama": "form.nama_pelapor"}, data) == {
        "p": {"nik": "3576010101900001", "nama": "Siti Ayu"}
    }
    assert build_object({"p[nik]": "form.nik_pelapor"}, data, verbatim_brackets=True) == {"p[nik]": "3576010101900001"}


def test_two_targets_naming_the_same_field_are_refused_not_overwritten() -> None:
    with pytest.raises(ValueError, match="names a field another target already sets"):
        build_object({"p[nik]": "form.nik_pelapor", "p.nik": "form.nama_pelapor"}, {"form": FORM})
    with pytest.raises(ValueError, match="collides"):
        build_object({"p": "form.nama_pelapor", "p[nik]": "form.nik_pelapor"}, {"form": FORM})


def test_form_fields_flatten_objects_and_lists_in_both_styles() -> None:
    body = {"a": {"b": [{"c": 1}, "x"], "d": None, "e": {}}, "f": False, "g": 1.5}
    assert form_fields(body, "brackets") == [("a[b][0][c]", "1"), ("a[b][1]", "x"), ("f", "false"), ("g", "1.5")]
    assert form_fields(body, "dots") == [("a.b[0].c", "1"), ("a.b[1]", "x"), ("f", "false"), ("g", "1.5")]


def test_a_deeply_nested_value_does_not_exhaust_the_stack() -> None:
    deep: Any = "v"
    for _ in range(5000):
        deep = {"k": deep}
    ((name, value),) = form_fields({"x": deep})
    assert name == "x" + "[k]" * 5000 and value == "v"


# --- request shaping --------------------------------------------------------------------------------------


@responses.activate
def test_json_is_the_default_and_bracket_targets_nest_like_dots(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=OK)
    assert _connector(good_doc).submit(ENVELOPE, FORM) == "REG-7"
    sent = responses.calls[0].request
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.body or b"") == {
        "pemohon": {"nik": "3576010101900001", "nama": "Siti Ayu"},
        "catatan": "a&b=c d",
        "alamat": "Jl. Kenanga № 5 – Blok É",
        "berkas": [{"nama": "KTP", "halaman": 2}, {"nama": "KK", "asli": True}],
        "anak_ke": 2,
        "jenis": "AKTA_LAHIR",
    }


# the exact bytes, written out by hand: & and = escaped inside a value, space as +, UTF-8 percent-encoded
FORM_BRACKETS = (
    "pemohon%5Bnik%5D=3576010101900001"
    "&pemohon%5Bnama%5D=Siti+Ayu"
    "&catatan=a%26b%3Dc+d"
    "&alamat=Jl.+Kenanga+%E2%84%96+5+%E2%80%93+Blok+%C3%89"
    "&berkas%5B0%5D%5Bnama%5D=KTP&berkas%5B0%5D%5Bhalaman%5D=2"
    "&berkas%5B1%5D%5Bnama%5D=KK&berkas%5B1%5D%5Basli%5D=true"
    "&anak_ke=2&jenis=AKTA_LAHIR"
)


@responses.activate
def test_form_with_brackets_sends_exact_bytes(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=OK)
    assert _connector(good_doc, body_encoding="form").submit(ENVELOPE, FORM) == "REG-7"
    sent = responses.calls[0].request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.body == FORM_BRACKETS.encode()
    assert dict(parse_qsl(FORM_BRACKETS))["catatan"] == "a&b=c d"  # what the local system reads back


@responses.activate
def test_form_with_dots_writes_nesting_with_dots_and_keeps_bracket_targets_verbatim(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=OK)
    _connector(good_doc, body_encoding="form", form_nesting="dots").submit(ENVELOPE, FORM)
    sent = responses.calls[0].request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert isinstance(sent.body, bytes)
    assert parse_qsl(sent.body.decode("ascii"), strict_parsing=True) == [
        ("pemohon[nik]", "3576010101900001"),
        ("pemohon.nama", "Siti Ayu"),
        ("catatan", "a&b=c d"),
        ("alamat", "Jl. Kenanga № 5 – Blok É"),
        ("berkas[0].nama", "KTP"),
        ("berkas[0].halaman", "2"),
        ("berkas[1].nama", "KK"),
        ("berkas[1].asli", "true"),
        ("anak_ke", "2"),
        ("jenis", "AKTA_LAHIR"),
    ]


@responses.activate
def test_inline_base64_files_in_a_form_body_are_flattened(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=OK)
    connector = _connector(good_doc, body_encoding="form", attachments={"mode": "inline_base64", "field": "lampiran"})
    connector.submit(_with_files(ENVELOPE), FORM, files=FILES)
    body = responses.calls[0].request.body
    assert isinstance(body, bytes)
    sent = dict(parse_qsl(body.decode("ascii"), strict_parsing=True))
    assert sent["lampiran[0][nama_berkas]"] == "ktp pemohon.pdf"
    assert sent["lampiran[1][jenis]"] == "kk"


@pytest.mark.parametrize(
    ("declared", "sent"),
    [
        ("application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded; charset=UTF-8"),
        ("application/json", "application/x-www-form-urlencoded"),  # contradicts: the encoding decides
    ],
)
@responses.activate
def test_the_content_type_follows_the_encoding(good_doc: dict[str, Any], declared: str, sent: str) -> None:
    responses.post(SUBMIT_URL, json=OK)
    _connector(good_doc, body_encoding="form", headers={"content-type": declared}).submit(ENVELOPE, FORM)
    request = responses.calls[0].request
    assert request.headers["Content-Type"] == sent
    assert request.body == FORM_BRACKETS.encode()


@responses.activate
def test_multipart_without_files_sends_every_field_as_a_part(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=OK)
    _connector(good_doc, body_encoding="multipart", headers={"Content-Type": "text/plain"}).submit(ENVELOPE, FORM)
    request = responses.calls[0].request
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    fields, parts = _multipart(request.body, content_type)  # type: ignore[arg-type]
    assert parts == {}
    assert fields == {
        "pemohon[nik]": ["3576010101900001"],
        "pemohon[nama]": ["Siti Ayu"],
        "catatan": ["a&b=c d"],
        "alamat": ["Jl. Kenanga № 5 – Blok É"],
        "berkas[0][nama]": ["KTP"],
        "berkas[0][halaman]": ["2"],
        "berkas[1][nama]": ["KK"],
        "berkas[1][asli]": ["true"],
        "anak_ke": ["2"],
        "jenis": ["AKTA_LAHIR"],
    }


@pytest.mark.parametrize(
    ("field", "names"),
    [(None, ["lampiran[ktp]", "lampiran[kk]"]), ("berkas[{index}]", ["berkas[0]", "berkas[1]"])],
)
@responses.activate
def test_multipart_form_files_go_in_the_same_request(
    good_doc: dict[str, Any], field: str | None, names: list[str]
) -> None:
    responses.post(SUBMIT_URL, json=OK)
    attachments: dict[str, Any] = {"mode": "form_files", **({"field": field} if field else {})}
    connector = _connector(good_doc, body_encoding="multipart", attachments=attachments)
    assert connector.submit(_with_files(ENVELOPE), FORM, files=FILES) == "REG-7"
    assert len(responses.calls) == 1  # no second upload request
    request = responses.calls[0].request
    fields, parts = _multipart(request.body, request.headers["Content-Type"])  # type: ignore[arg-type]
    assert fields["pemohon[nik]"] == ["3576010101900001"]
    assert parts == {
        names[0]: [("ktp pemohon.pdf", "application/pdf", FILES[0][1])],
        names[1]: [("kartu-keluarga.jpg", "image/jpeg", FILES[1][1])],
    }


def test_form_files_without_a_multipart_body_is_refused_not_dropped(good_doc: dict[str, Any]) -> None:
    connector = _connector(good_doc, body_encoding="form", attachments={"mode": "form_files"})
    with pytest.raises(FatalError, match="form_files needs body_encoding multipart"):
        connector.submit(_with_files(ENVELOPE), FORM, files=FILES)


ENCODINGS = ["json", "form", "multipart"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@responses.activate
def test_idempotency_key_auth_and_rate_limit_are_the_same_for_every_encoding(
    good_doc: dict[str, Any], encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.post(SUBMIT_URL, json=OK)
    connector = _connector(good_doc, body_encoding=encoding)
    waits: list[None] = []
    monkeypatch.setattr(connector.client.limiter, "wait", lambda: waits.append(None))
    connector.submit(ENVELOPE, FORM)
    sent = responses.calls[0].request
    assert sent.headers["Idempotency-Key"] == "NAT-7"
    assert sent.headers["Authorization"] == "Bearer tkn-1"
    assert waits == [None]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_url_policy_applies_to_every_encoding(good_doc: dict[str, Any], encoding: str) -> None:
    def refuse(url: str) -> None:
        raise FatalError(f"{url.split('?')[0]} refused by policy")

    doc = _package(good_doc, body_encoding=encoding)
    connector = RestConnector(doc, SECRETS, base_url=BASE, url_policy=refuse)
    with pytest.raises(FatalError, match="refused by policy"):
        connector.submit(ENVELOPE, FORM)


@pytest.mark.parametrize("encoding", ENCODINGS)
@responses.activate
def test_the_answer_size_limit_and_the_envelope_apply_to_every_encoding(
    good_doc: dict[str, Any], encoding: str
) -> None:
    responses.post(SUBMIT_URL, body=b"x" * 4096)
    responses.post(SUBMIT_URL, json={"status": False, "message": "No. HP pemohon harus diawali 08", "data": None})
    connector = _connector(good_doc, body_encoding=encoding)
    connector.client.max_response_bytes = 1024
    with pytest.raises(ResponseTooLarge):
        connector.submit(ENVELOPE, FORM)
    with pytest.raises(RecordError, match="harus diawali 08"):
        connector.submit(ENVELOPE, FORM)


@responses.activate
def test_separate_multipart_uploads_are_read_by_the_answer_envelope(good_doc: dict[str, Any]) -> None:
    upload_url = f"{BASE}/permohonan/REG-7/berkas"
    responses.post(SUBMIT_URL, json=OK)
    responses.post(upload_url, json={"status": True})
    responses.post(upload_url, json={"status": False, "message": "Ukuran berkas terlalu besar"})
    connector = _connector(
        good_doc, attachments={"mode": "multipart", "path": "/permohonan/{application.local_reference}/berkas"}
    )
    with pytest.raises(RetriableError, match="Ukuran berkas terlalu besar") as raised:
        connector.submit(_with_files(ENVELOPE), FORM, files=FILES)
    assert raised.value.outcome_unknown  # the application exists: a retry must not create it again
    assert [c.request.url for c in responses.calls] == [SUBMIT_URL, upload_url, upload_url]


# --- against a real loopback server -----------------------------------------------------------------------


class _PhpStyleHandler(BaseHTTPRequestHandler):
    """A regional PHP-style app: reads $_POST (form-encoded or multipart), answers 200 with an envelope."""

    received: ClassVar[list[tuple[str, dict[str, list[str]], dict[str, list[tuple[str, str, bytes]]]]]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            fields: dict[str, list[str]] = {}
            for name, value in parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True):
                fields.setdefault(name, []).append(value)
            files: dict[str, list[tuple[str, str, bytes]]] = {}
        elif content_type.startswith("multipart/form-data"):
            fields, files = _multipart(raw, content_type)
        else:
            self._answer({"status": False, "message": f"format tidak didukung: {content_type}", "data": None})
            return
        type(self).received.append((content_type, fields, files))
        nik = fields.get("pemohon[nik]", [""])[0]
        if not nik or self.headers.get("Idempotency-Key") != "NAT-7":
            self._answer({"status": False, "message": "NIK pemohon wajib diisi", "data": None})
            return
        self._answer({"status": True, "message": "OK", "data": {"nomor_registrasi": f"REG-{nik[-4:]}-{len(files)}"}})

    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def php_app() -> Iterator[tuple[str, type[_PhpStyleHandler]]]:
    """The handler served on 127.0.0.1 (a free port), with a fresh list of what it received."""
    handler = type("Handler", (_PhpStyleHandler,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_real_server_parses_the_form_post_and_answers_a_reference(
    good_doc: dict[str, Any], php_app: tuple[str, type[_PhpStyleHandler]]
) -> None:
    url, handler = php_app
    assert _connector(good_doc, base_url=url, body_encoding="form").submit(ENVELOPE, FORM) == "REG-0001-0"
    ((content_type, fields, _),) = handler.received
    assert content_type == "application/x-www-form-urlencoded"
    assert fields["catatan"] == ["a&b=c d"]
    assert fields["alamat"] == ["Jl. Kenanga № 5 – Blok É"]
    assert fields["berkas[1][asli]"] == ["true"]


def test_a_real_server_receives_the_files_with_the_multipart_form(
    good_doc: dict[str, Any], php_app: tuple[str, type[_PhpStyleHandler]]
) -> None:
    url, handler = php_app
    connector = _connector(good_doc, base_url=url, body_encoding="multipart", attachments={"mode": "form_files"})
    assert connector.submit(_with_files(ENVELOPE), FORM, files=FILES) == "REG-0001-2"
    ((_, fields, files),) = handler.received
    assert fields["pemohon[nama]"] == ["Siti Ayu"]
    assert files["lampiran[kk]"] == [("kartu-keluarga.jpg", "image/jpeg", FILES[1][1])]


def test_a_real_server_refusing_the_json_it_cannot_read_is_a_record_error(
    good_doc: dict[str, Any], php_app: tuple[str, type[_PhpStyleHandler]]
) -> None:
    url, handler = php_app
    with pytest.raises(RecordError, match="format tidak didukung: application/json"):
        _connector(good_doc, base_url=url).submit(ENVELOPE, FORM)
    assert handler.received == []
