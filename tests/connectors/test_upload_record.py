"""Per-file upload record (issue 13, item 1) for ``attachments.mode: multipart``: a file recorded as uploaded
(with its sha256) is not sent again, each new upload is recorded right after it succeeded, a failure keeps
the outcome unknown, and ``upload_missing`` (after a look-up found the application) sends only what is
missing — against a real loopback HTTP server that counts every upload and its headers."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from connectors.errors import RetriableError
from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets

SECRETS = StaticSecrets({"R3576_DISPENDUK_TOKEN": "tkn-1"})
ENVELOPE_ID = "NAT-7"
_CONTENTS = [(f"berkas-{i}", f"file {i}".encode() * 50) for i in range(3)]
FILES = [
    (
        {
            "requirement_id": name,
            "filename": f"{name}.pdf",
            "media_type": "application/pdf",
            "sha256": hashlib.sha256(content).hexdigest(),
            "url": "x",
        },
        content,
    )
    for name, content in _CONTENTS
]
ENVELOPE = {"id": ENVELOPE_ID, "submitted_at": "2026-11-02T08:00:00Z", "attachments": [m for m, _ in FILES]}


class _Handler(BaseHTTPRequestHandler):
    """A local system: POST /permohonan creates REG-7; POST /permohonan/REG-7/berkas takes one file (the
    ``fail_on`` upload, counted from 1, answers 503 after nothing was stored)."""

    uploads: ClassVar[list[tuple[str | None, bytes]]] = []
    creates: ClassVar[int] = 0
    fail_on: ClassVar[int | None] = None
    seen: ClassVar[int] = 0

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        cls = type(self)
        if self.path.endswith("/permohonan"):
            cls.creates += 1
            self._answer(201, {"status": True, "data": {"nomor_registrasi": "REG-7"}})
            return
        cls.seen += 1
        if cls.fail_on == cls.seen:
            self._answer(503, {"status": False, "message": "sibuk"})
            return
        cls.uploads.append((self.headers.get("Idempotency-Key"), raw))
        self._answer(201, {"status": True})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.uploads, _Handler.creates, _Handler.fail_on, _Handler.seen = [], 0, None, 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _Log:
    """An in-memory ``UploadLog`` (the sync engine's is the ledger's ``attachment_upload``)."""

    def __init__(self, done: dict[int, str] | None = None) -> None:
        self.done = dict(done or {})
        self.recorded: list[int] = []

    def uploaded(self) -> dict[int, str]:
        return dict(self.done)

    def record(self, position: int, meta: dict[str, Any], reference: str) -> None:
        assert reference == "REG-7"
        self.done[position] = meta["sha256"]
        self.recorded.append(position)


def _connector(good_doc: dict[str, Any], base_url: str, strategy: str = "key_header") -> RestConnector:
    doc = copy.deepcopy(good_doc)
    doc["local_system"]["idempotency"] = (
        {"strategy": "key_header", "header": "Idempotency-Key"} if strategy == "key_header" else {"strategy": strategy}
    )
    op = doc["local_system"]["operations"]["submit"]
    op["attachments"] = {"mode": "multipart", "path": "/permohonan/{application.local_reference}/berkas"}
    doc["local_system"]["envelope"] = {"success": "status == `true`", "message": "message"}
    return RestConnector(doc, SECRETS, base_url=base_url)


def _sent() -> list[bytes]:
    """Which files reached the server, by content, in order."""
    return [next(c for _, c in _CONTENTS if c in raw) for _, raw in _Handler.uploads]


def test_a_resend_uploads_only_the_files_not_recorded(good_doc: dict[str, Any], server: str) -> None:
    log = _Log({0: FILES[0][0]["sha256"]})  # an earlier attempt uploaded the first file, then its reply was lost
    reference = _connector(good_doc, server).submit(ENVELOPE, {}, files=FILES, uploads=log)
    assert reference == "REG-7"
    assert _sent() == [_CONTENTS[1][1], _CONTENTS[2][1]]
    assert log.recorded == [1, 2]
    # one key per file: a local system that honours keys can drop a resend of the same file
    assert [key for key, _ in _Handler.uploads] == [f"{ENVELOPE_ID}:attachment:1", f"{ENVELOPE_ID}:attachment:2"]


def test_a_record_with_another_digest_does_not_count(good_doc: dict[str, Any], server: str) -> None:
    log = _Log({0: "0" * 64})
    _connector(good_doc, server).submit(ENVELOPE, {}, files=FILES, uploads=log)
    assert len(_sent()) == 3 and log.recorded == [0, 1, 2]


def test_a_failed_upload_keeps_what_went_through_recorded(good_doc: dict[str, Any], server: str) -> None:
    _Handler.fail_on = 2
    log = _Log()
    connector = _connector(good_doc, server, strategy="lookup_by_reference")
    with pytest.raises(RetriableError) as raised:
        connector.submit(ENVELOPE, {}, files=FILES, uploads=log)
    assert raised.value.outcome_unknown, "the application exists: the next attempt must not create it again"
    assert log.recorded == [0]
    # the next attempt found it by look-up: only the two missing files go, the create is not repeated
    assert connector.upload_missing(ENVELOPE, {}, "REG-7", FILES, log) == 2
    assert _sent() == [c for _, c in _CONTENTS] and _Handler.creates == 1
    assert [key for key, _ in _Handler.uploads] == [None, None, None]  # no key: the system ignores them


def test_nothing_missing_means_nothing_fetched_or_sent(good_doc: dict[str, Any], server: str) -> None:
    log = _Log({i: meta["sha256"] for i, (meta, _) in enumerate(FILES)})
    connector = _connector(good_doc, server, strategy="lookup_by_reference")
    # files=None and no attachment fetcher: fetching would raise, so 0 proves nothing was fetched
    assert connector.upload_missing(ENVELOPE, {}, "REG-7", None, log) == 0
    assert _Handler.uploads == [] and _Handler.seen == 0
