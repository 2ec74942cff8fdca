"""Attack drill (issue 16): a region team's token (or a stolen one) throws hostile bodies at the hub API's
publish endpoint, and a browser page tries to frame or sniff the API.

- a body over 1 MiB streamed in chunks (no Content-Length) is refused with 413 as soon as it passes the
  bound: the app stops pulling the stream (before the fix it read the whole body into memory first);
- a declared Content-Length over 1 MiB is refused before a single chunk is read;
- JSON nested 100,000 levels deep is a 422, not a 500 (RecursionError);
- an over-long package id is a 422, never a 500;
- every answer carries the security headers (CSP with frame-ancestors, nosniff, no-store on the API).

The streaming drills call the ASGI app directly with a counting ``receive`` (the Starlette TestClient reads
a request body whole before the app sees it, so it cannot show how much the app read).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger.store import Ledger
from tests.conftest import GOOD_PACKAGE
from tests.drills.support import report
from tests.hub.conftest import Api, copy_registry, make_api

PUBLISH = "/api/v1/packages"
MIB = 1024 * 1024
CHUNK = 64 * 1024
TOTAL_CHUNKS = 512  # 32 MiB if read to the end


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The hub API in-process over a fresh SQLite ledger and a copy of the sample registry."""
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'api-ledger.db'}")
    yield make_api(ledger, copy_registry(tmp_path / "registry"))
    ledger.close()


class CountingBody:
    """An ASGI ``receive`` over a generator of chunks that counts what the app pulled."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pulled = 0
        self.bytes = 0
        self.finished = False

    async def __call__(self) -> dict[str, Any]:
        if self.finished:
            return {"type": "http.disconnect"}
        try:
            chunk = next(self.chunks)
        except StopIteration:
            self.finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        self.pulled += 1
        self.bytes += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}


def _oversized_package() -> Iterator[bytes]:
    """A syntactically plausible package that never ends: a huge description, 64 KiB at a time."""
    yield b'{"schema_version": "1", "id": "35.76/akta-kelahiran", "region": "35.76", "service": {"description": "'
    for _ in range(TOTAL_CHUNKS):
        yield b"x" * CHUNK
    yield b'"}}'


def _call(api: Api, body: CountingBody, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, str], bytes]:
    """One POST to the publish endpoint through the whole ASGI stack (middleware included)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PUBLISH,
        "raw_path": PUBLISH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {api.tokens['region']}".encode()),
            (b"content-type", b"application/json"),
            *headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    status: list[int] = []
    answer_headers: dict[str, str] = {}
    content: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            answer_headers.update({k.decode().lower(): v.decode() for k, v in message.get("headers", [])})
        elif message["type"] == "http.response.body":
            content.append(message.get("body", b""))

    asyncio.run(api.client.app(scope, body, send))  # type: ignore[arg-type]
    return status[0], answer_headers, b"".join(content)


def test_a_chunked_body_over_1_mib_is_refused_without_reading_it_all(api: Api) -> None:
    """Attack: 32 MiB streamed with Transfer-Encoding: chunked (no Content-Length to check up front)."""
    body = CountingBody(_oversized_package())
    status, headers, content = _call(api, body, [(b"transfer-encoding", b"chunked")])
    assert status == 413, content
    assert json.loads(content) == {"error": f"package larger than {MIB} bytes"}
    assert not body.finished, "the app read the stream to its end"
    assert body.bytes <= MIB + 2 * CHUNK, f"the app read {body.bytes} bytes of a refused body"
    assert headers["cache-control"] == "no-store"
    assert not (api.registry / "published" / "35.76" / "akta-kelahiran" / "1.0.1.json").exists()
    report("attack-api", f"chunked 32 MiB body: 413 after reading {body.bytes // 1024} KiB ({body.pulled} chunks)")


def test_a_declared_oversized_body_is_refused_before_reading(api: Api) -> None:
    """Attack: Content-Length 20 MiB; the app must not pull one chunk of it."""
    body = CountingBody(_oversized_package())
    status, _, content = _call(api, body, [(b"content-length", str(20 * MIB).encode())])
    assert status == 413, content
    assert body.pulled == 0


def test_a_body_just_under_the_bound_is_read_whole(api: Api) -> None:
    """Control: the counting body works and a non-oversized (but invalid) body is read to its end: 422."""
    body = CountingBody(iter([b'{"id": "35.76/x", "region": "35.76",', b' "filler": "' + b"y" * CHUNK + b'"}']))
    status, _, content = _call(api, body, [(b"transfer-encoding", b"chunked")])
    assert status == 422, content
    assert body.finished and body.pulled == 2


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a": ' * 100_000 + b"1" + b"}" * 100_000],
    ids=["arrays", "objects"],
)
def test_json_nested_100000_levels_is_a_422_not_a_500(api: Api, raw: bytes) -> None:
    """Attack: 100,000 nested brackets (under 1 MiB) make json.loads raise RecursionError."""
    response = api.client.post(PUBLISH, headers=api.headers("region"), content=raw)
    assert response.status_code == 422, response.text
    assert response.json() == {"error": "the body is nested too deeply to be a service package"}


def _package(package_id: str) -> bytes:
    doc = json.loads(GOOD_PACKAGE.read_text(encoding="utf-8"))
    doc["id"], doc["version"] = package_id, "1.0.1"
    return json.dumps(doc, ensure_ascii=False).encode()


def _published_files(registry: Path) -> set[Path]:
    return set((registry / "published").rglob("*.json"))


def test_a_long_but_file_name_sized_package_id_is_a_422(api: Api) -> None:
    """Attack: a 200-character slug (still a legal file name): the validator refuses it, nothing written."""
    before = _published_files(api.registry)
    response = api.client.post(PUBLISH, headers=api.headers("region"), content=_package("35.76/" + "a" * 200))
    assert response.status_code == 422, response.text
    assert any(p["path"] == "$.id" for p in response.json()["problems"])
    assert _published_files(api.registry) == before


@pytest.mark.parametrize("length", [300, 5000])
def test_an_over_long_package_id_is_a_422_not_a_500(api: Api, length: int) -> None:
    """Attack: a slug of 300 / 5,000 characters, longer than any file name the temporary copy can take."""
    before = _published_files(api.registry)
    response = api.client.post(PUBLISH, headers=api.headers("region"), content=_package("35.76/" + "a" * length))
    assert _published_files(api.registry) == before
    assert response.status_code == 422, response.text


# --- security headers -----------------------------------------------------------------------------------


def _assert_common(headers: Any, where: str) -> None:
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, f"{where}: CSP {csp!r}"
    assert headers.get("x-content-type-options") == "nosniff", where


@pytest.mark.parametrize(
    ("method", "path", "role", "status"),
    [
        ("GET", "/api/v1/me", "region", 200),
        ("GET", "/api/v1/me", None, 401),
        ("GET", "/api/v1/audit", "region", 403),
        ("GET", "/api/v1/services/35.76/nothing-here", "region", 404),
        ("POST", PUBLISH, "region", 422),
        ("GET", "/metrics", "coordinator", 200),
    ],
)
def test_api_answers_carry_the_security_headers(
    api: Api, method: str, path: str, role: str | None, status: int
) -> None:
    """Attack: a page on another site frames the API or has a proxy cache its answers (dead letters,
    region health); a JSON answer sniffed as HTML."""
    response = api.client.request(method, path, headers=api.headers(role), content=b"[]" if method == "POST" else None)
    assert response.status_code == status, response.text
    _assert_common(response.headers, path)
    assert response.headers.get("cache-control") == "no-store", path
    assert response.headers.get("x-frame-options") == "DENY"


def test_no_store_replaces_a_cacheable_header_and_non_api_paths_keep_theirs(api: Api) -> None:
    """The API's own Cache-Control (if any) never survives beside no-store; a path outside /api/ still gets
    the CSP and nosniff."""
    response = api.get("/api/v1/overview")
    assert response.headers.get_list("cache-control") == ["no-store"]
    other = api.client.get("/no-such-page")
    _assert_common(other.headers, "/no-such-page")
