"""Drill 4 — hostile packages and hostile answers.

- Endpoints aimed at loopback (in every spelling: decimal, hex, octal, short, IPv4-mapped IPv6, ``0.0.0.0``,
  ``localhost``), link-local (169.254.169.254), private ranges, IPv6 loopback or ``file://`` are refused
  under production settings (``MPPHUB_ALLOWED_HOSTS``) by ``mpphub validate`` and by the runtime
  connector path; a real loopback server (the trap) hears nothing, while the control arm (no policy)
  proves each spelling would have reached it. A redirect from an allowed host to an internal one is not
  followed. A form ``$ref`` to an internal URL is refused and never fetched.
- Template and mapping injection (``../``, ``@``, ``#``, CRLF, ``{__class__}`` in form values; JMESPath
  expressions in packages) cannot change the target host, add headers or execute anything.
- Oversized (declared or endless) and 10,000-level nested answers from a local system are refused early
  with a clear error. (Package files: tests/registry/test_hostile_files.py; fuzzing: tests/registry/test_fuzz_validate.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from connectors.errors import FatalError
from connectors.mapping import build_object
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.packages import PackageSource
from hub.settings import Settings
from hub.wiring import connector_factory
from tests.drills.support import report
from tests.drills.traps import Trap, json_answer, redirect_answer

PRODUCTION = "*.go.id,203.0.113.0/24"
SECRETS = StaticSecrets({"R3576_DISPENDUK_TOKEN": "drill-token"})
# spellings that all reach 127.0.0.1 (the trap listens there)
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "0.0.0.0",  # noqa: S104 - a target spelling, nothing binds here
    "localhost",
    "[::ffff:127.0.0.1]",
]
IPV6_SPELLINGS = ["[::1]", "[0:0:0:0:0:0:0:1]"]
NOWHERE = ["169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "[fe80::1]", "100.64.0.1"]


@pytest.fixture
def trap() -> Iterator[Trap]:
    server = Trap("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def trap6() -> Iterator[Trap]:
    server = Trap("::1")
    yield server
    server.stop()


def _connector(package: dict[str, Any], base_url: str, allowed: str) -> Any:
    package = json.loads(json.dumps(package))
    package["local_system"]["base_url"] = base_url
    national = NationalClient("http://127.0.0.1:9", "unused")
    connector: Any = connector_factory(Settings(allowed_hosts=allowed), SECRETS, national)(package)
    connector.client.timeout = 5.0
    return connector


def _pull(connector: Any) -> list[Any]:
    return [record for page in connector.status_changes(None) for record in page]


# --- endpoints ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [f"https://{h}/api" for h in LOOPBACK_SPELLINGS + IPV6_SPELLINGS + NOWHERE]
    + ["file:///etc/passwd", "https://evil.go.id@127.0.0.1/api", "https://127.0.0.1#@x.go.id/api"],
)
def test_validator_refuses_internal_endpoints_under_production_settings(
    url: str, good_doc: dict[str, Any], write_package: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    good_doc["local_system"]["base_url"] = url
    path = write_package(good_doc)
    monkeypatch.setenv("MPPHUB_ALLOWED_HOSTS", PRODUCTION)
    result = cli("validate", path)
    assert result.code == 1, result.out
    lines = [line for line in result.out.splitlines() if "$.local_system.base_url" in line]
    reasons = ("not in the allowed hosts", "hidden notation", "link-local", "scheme 'file'", "must be an absolute URL")
    assert any(words in line for line in lines for words in reasons), result.out


def test_validator_accepts_an_allowed_host_under_production_settings(
    good_doc: dict[str, Any], write_package: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPPHUB_ALLOWED_HOSTS", PRODUCTION)
    result = cli("validate", write_package(good_doc))
    assert result.code == 0, result.out


def test_runtime_refuses_every_spelling_of_loopback_and_the_trap_hears_nothing(
    trap: Trap, trap6: Trap, good_doc: dict[str, Any]
) -> None:
    targets = [(f"http://{h}:{trap.port}/api", trap) for h in LOOPBACK_SPELLINGS]
    targets += [(f"http://{h}:{trap6.port}/api", trap6) for h in IPV6_SPELLINGS]
    for url, server in targets:
        with pytest.raises(FatalError, match=r"not in the allowed hosts|non-public address"):
            _pull(_connector(good_doc, url, PRODUCTION))
        with pytest.raises(FatalError, match=r"not in the allowed hosts|non-public address"):
            _connector(good_doc, url, PRODUCTION).submit({"id": "MPP-1", "submitted_at": "x", "channel": "web"}, {})
        assert server.heard == [], f"{url} reached the trap under production settings"
        _pull(_connector(good_doc, url, ""))  # control: without the policy this spelling does reach the trap
        assert len(server.heard) == 1, f"control arm: {url} should reach the trap without a policy"
        server.heard.clear()
    for host in NOWHERE:
        with pytest.raises(FatalError, match="not in the allowed hosts"):
            _pull(_connector(good_doc, f"http://{host}/api", PRODUCTION))
    report("hostile", f"{len(targets) + len(NOWHERE)} internal targets refused before sending; the trap heard 0")


def test_a_redirect_to_an_internal_host_is_not_followed(trap: Trap, good_doc: dict[str, Any]) -> None:
    front = Trap("127.0.0.2", answer=redirect_answer(f"{trap.url}/latest/meta-data"))
    try:
        allowed = "127.0.0.2/32"  # the front is an allowed host; the trap behind it is not
        with pytest.raises(FatalError, match=r"redirect from .* refused: host 127\.0\.0\.1 is not in the allowed"):
            _pull(_connector(good_doc, f"{front.url}/api", allowed))
        assert len(front.heard) == 1 and trap.heard == []
        _pull(_connector(good_doc, f"{front.url}/api", ""))  # control: followed without a policy
        assert len(trap.heard) == 1
    finally:
        front.stop()
    report("hostile", "a redirect from an allowed host to 127.0.0.1 was refused; the internal host heard nothing")


def test_a_form_ref_to_an_internal_url_is_refused_and_never_fetched(
    trap: Trap, good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    good_doc["form"]["properties"]["nama_anak"] = {"$ref": f"{trap.url}/schema.json", "x-personal-data": "name"}
    result = cli("validate", write_package(good_doc))
    assert result.code == 1
    assert ".form.properties.nama_anak.$ref: reference" in result.out and "points outside the form" in result.out
    # a package that got in anyway (an old registry): the hub compiles forms offline
    source = PackageSource.__new__(PackageSource)
    source._cache, source._forms = {("35.76/akta-kelahiran", "1.0.0"): good_doc}, {}
    problems = source.form_problems("35.76/akta-kelahiran", "1.0.0", {"nama_anak": "Budi"})
    assert problems and "does not compile offline" in problems[0]
    assert trap.heard == []
    report("hostile", "a form $ref to a loopback URL: refused by the validator, never fetched by the hub")


# --- injection ------------------------------------------------------------------------------------------

INJECTIONS = [
    "../../admin",
    "..%2f..%2fadmin",
    "x@169.254.169.254",
    "a#fragment",
    "a?b=c&d=e",
    "line\r\nX-Injected: 1",
    "{__class__}",
    "{form.__init__.__globals__}",
    "//169.254.169.254/latest",
    "http://169.254.169.254/",
]


def test_form_values_in_url_templates_cannot_change_the_target(trap: Trap, good_doc: dict[str, Any]) -> None:
    connector = _connector(good_doc, f"{trap.url}/api", "127.0.0.1/32")
    op = {"method": "GET", "path": "/permohonan/{form.kode}/status", "query": {"q": "{form.kode}"}}
    for value in INJECTIONS:
        connector._call(op, {"form": {"kode": value}})
    assert len(trap.heard) == len(INJECTIONS), "one request each, all to the trap (the package's own host)"
    for value, heard in zip(INJECTIONS, trap.heard, strict=True):
        path = heard.path.partition("?")[0]
        segments = path.split("/")
        assert segments[:3] == ["", "api", "permohonan"] and segments[4:] == ["status"], heard.path
        assert unquote(segments[3]) == value, "the value is one encoded path segment"
        assert "x-injected" not in heard.headers
        assert heard.headers["host"] == f"127.0.0.1:{trap.port}"
    report("hostile", f"{len(INJECTIONS)} injection values stayed one encoded path segment on the package's host")


def test_a_package_path_cannot_smuggle_another_host(trap: Trap, good_doc: dict[str, Any]) -> None:
    connector = _connector(good_doc, f"{trap.url}", "127.0.0.1/32")
    with pytest.raises(FatalError, match=r"169\.254\.169\.254 is not in the allowed hosts"):
        connector._call({"method": "GET", "path": "@169.254.169.254/latest"}, {})
    assert trap.heard == []


def test_jmespath_mappings_execute_nothing() -> None:
    data = {"form": {"nama": "__import__('os').system('id')", "kode": "{__class__}"}, "application": {"id": "A"}}
    mapping = {
        "nama": "form.nama",
        "kode": "form.kode",
        "dunder": "form.__class__",
        "globals": "form.nama.__init__.__globals__",
        "id": "application.id",
    }
    assert build_object(mapping, data) == {
        "nama": "__import__('os').system('id')",
        "kode": "{__class__}",
        "id": "A",
    }


# --- oversized and deeply nested answers ----------------------------------------------------------------

MIB = 1024 * 1024


def _endless(trap: Trap, declared: int | None) -> Any:
    def answer(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declared is not None:
            handler.send_header("Content-Length", str(declared))
        handler.end_headers()
        handler.wfile.write(b'{"data": ["')
        chunk = b"x" * MIB
        for _ in range(200):  # up to 200 MiB, unless the hub hangs up first
            handler.wfile.write(chunk)
            trap.bytes_sent += len(chunk)

    return answer


@pytest.mark.parametrize("declared", [20 * MIB, None], ids=["declared-20MiB", "endless-undeclared"])
def test_an_oversized_answer_is_refused_early(trap: Trap, good_doc: dict[str, Any], declared: int | None) -> None:
    trap.answer = _endless(trap, declared)
    with pytest.raises(FatalError, match="the answer is over 10 MiB: refused"):
        _pull(_connector(good_doc, f"{trap.url}/api", "127.0.0.1/32"))
    assert trap.bytes_sent < 64 * MIB, f"the hub read on: {trap.bytes_sent // MIB} MiB sent"
    report(
        "hostile",
        f"answer {'declared 20 MiB' if declared else 'without length'}: refused after {trap.bytes_sent // MIB} MiB sent",
    )


def test_a_deeply_nested_answer_is_refused(trap: Trap, good_doc: dict[str, Any]) -> None:
    trap.answer = json_answer(b'{"data": ' + b"[" * 10_000 + b"]" * 10_000 + b"}")
    with pytest.raises(FatalError, match="the body nests too deeply to read: refused"):
        _pull(_connector(good_doc, f"{trap.url}/api", "127.0.0.1/32"))
    report("hostile", "an answer nested 10,000 levels deep: refused with a clear error")


def test_a_deeply_nested_or_oversized_package_file_is_refused(tmp_path: Path, cli: Any) -> None:
    deep, big = tmp_path / "dalam.json", tmp_path / "besar.json"
    deep.write_bytes(b'{"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}")
    with big.open("wb") as out:
        out.truncate(11 * MIB)
    result = cli("validate", deep, big)
    assert result.code == 1 and "Traceback" not in result.out + result.err
    assert "JSON nests deeper than 64 levels" in result.out and "file is 11.0 MiB" in result.out


def test_a_form_with_a_foreign_dialect_is_refused(good_doc: dict[str, Any], write_package: Any, cli: Any) -> None:
    good_doc["form"]["$schema"] = "http://169.254.169.254/meta-schema"
    result = cli("validate", write_package(good_doc))
    assert result.code == 1
    assert ".form.$schema: unknown dialect 'http://169.254.169.254/meta-schema'" in result.out
