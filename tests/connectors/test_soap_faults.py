"""A SOAP 1.1 Fault in an error answer (HTTP 500, as the protocol sends one) is reported by its
``faultcode`` and ``faultstring``, NIK- and phone-like numbers masked, and classified as before: the
package's ``errors`` rule for a Client fault (``fault_code: Client``, whatever prefix the system writes:
the record's), busy for a ``soap:Server`` one; a rule for 200 classifies a fault inside a 200 answer.
Against real loopback servers: the sandbox SOAP service, and a small ``http.server`` that answers
whatever fault a test gives it (one echoing a citizen's numbers, a hostile one, an oversized one)."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import requests

from connectors.errors import BusyAnswer, FatalError, RecordError
from connectors.secrets import StaticSecrets
from connectors.soap import MAX_FAULT_BYTES, SoapConnector, fault_text
from sandbox.local import soap_service
from sandbox.serve import RunningServer, serve_in_thread
from tests.conftest import REPO

PACKAGE: dict[str, Any] = json.loads((REPO / "registry/packages/35.08/izin-usaha-mikro.json").read_text())
SECRETS = StaticSecrets({"R3508_SIMPATI_USERNAME": "sandbox", "R3508_SIMPATI_PASSWORD": "sandbox-password"})
ENVELOPE = {"id": "NAT-1", "submitted_at": "2026-12-07T08:00:00Z", "channel": "web"}
NIK, PHONE = "3508010101900001", "081234567890"  # synthetic
FORM = {
    "nik_pemilik": NIK,
    "nama_pemilik": "Siti",
    "no_hp_pemilik": PHONE,
    "nama_usaha": "Warung",
    "alamat_usaha": "Jl. Merdeka 1",
    "kecamatan_usaha": "Lumajang",
}


def _connector(base_url: str) -> SoapConnector:
    return SoapConnector(copy.deepcopy(PACKAGE), SECRETS, base_url=base_url)


def _fault(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body><soap:Fault><faultcode>{code}</faultcode><faultstring>{message}</faultstring>"
        "<detail/></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


# --- the sandbox SOAP service ------------------------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[RunningServer]:
    """The sandbox's SOAP web service for the sample package."""
    running = serve_in_thread(soap_service.create_app(packages=[copy.deepcopy(PACKAGE)]))
    yield running
    running.stop()


def test_a_server_fault_at_500_says_its_fault_and_stays_busy(sandbox: RunningServer) -> None:
    requests.post(f"{sandbox.url}/_sandbox/busy", json={"n": 2}, timeout=10).raise_for_status()
    with pytest.raises(BusyAnswer) as write:
        _connector(sandbox.url).submit(ENVELOPE, FORM)
    assert "HTTP 500: SOAP fault soap:Server: Server sibuk, coba lagi" in str(write.value)
    assert write.value.outcome_unknown  # a 5xx may come after the work was done
    with pytest.raises(BusyAnswer, match="SOAP fault soap:Server: Server sibuk") as read:
        _connector(sandbox.url).lookup(ENVELOPE)
    assert not read.value.outcome_unknown


def test_a_client_fault_at_500_says_its_fault_and_stays_the_records(sandbox: RunningServer) -> None:
    with pytest.raises(RecordError, match=r"HTTP 500: SOAP fault soap:Client: Data pemohon tidak lengkap: "):
        _connector(sandbox.url).submit(ENVELOPE, {**FORM, "nama_usaha": ""})


# --- a small http.server answering a given fault -----------------------------------------------------


class _FaultHandler(BaseHTTPRequestHandler):
    """Answers every POST with ``status`` and ``body``."""

    status: ClassVar[int] = 500
    body: ClassVar[bytes] = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(self.status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def answering() -> Iterator[tuple[str, type[_FaultHandler]]]:
    """A server on 127.0.0.1 (a free port) and its handler class, whose status and body a test sets."""
    handler = type("Handler", (_FaultHandler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _unmasked(text: str) -> bool:
    return NIK in text or PHONE in text or re.search(r"[0-9]{8}", text) is not None


def test_a_fault_echoing_the_request_is_shown_masked(answering: tuple[str, type[_FaultHandler]]) -> None:
    url, handler = answering
    handler.body = _fault("soap:Client", f"NIK {NIK} (HP {PHONE}) sudah terdaftar")
    with pytest.raises(RecordError) as caught:  # the package's rule: fault_code Client -> record
        _connector(url).submit(ENVELOPE, FORM)
    text = str(caught.value)
    assert "SOAP fault soap:Client: NIK 3508************ (HP 0812******90) sudah terdaftar" in text
    assert not _unmasked(text)


def test_a_fault_inside_a_200_answer_is_shown_masked_too(answering: tuple[str, type[_FaultHandler]]) -> None:
    url, handler = answering
    handler.status, handler.body = 200, _fault("soap:Client", f"NIK {NIK} sudah terdaftar")
    with pytest.raises(RecordError, match=r"SOAP fault soap:Client: NIK 3508\*{12} sudah terdaftar") as caught:
        _connector(url).submit(ENVELOPE, FORM)
    assert not _unmasked(str(caught.value))


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>500 - Internal server error.</h1></body></html>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
        _fault("soap:Server", "x" * (MAX_FAULT_BYTES + 1)),
        b"",
    ],
    ids=["html-page", "entity-expansion", "oversized", "empty"],
)
def test_an_error_answer_that_is_not_a_readable_fault_says_its_status_only(
    answering: tuple[str, type[_FaultHandler]], body: bytes
) -> None:
    url, handler = answering
    handler.body = body
    with pytest.raises(BusyAnswer) as caught:
        _connector(url).submit(ENVELOPE, FORM)
    assert str(caught.value).endswith(": HTTP 500") and caught.value.outcome_unknown


def test_a_fault_at_401_is_still_the_credentials(answering: tuple[str, type[_FaultHandler]]) -> None:
    url, handler = answering
    handler.status, handler.body = 401, _fault("soap:Client", "Akses ditolak")
    with pytest.raises(FatalError, match="HTTP 401: SOAP fault soap:Client: Akses ditolak: the local system refused"):
        _connector(url).lookup(ENVELOPE)


def test_a_long_faultstring_is_masked_before_it_is_cut() -> None:
    # the NIK straddles the cut: cut first, its first digits would no longer look like a NIK and stay
    text = fault_text({"faultcode": "soap:Client", "faultstring": "x" * 190 + NIK})
    assert len(text) < 240 and text.endswith("...") and not re.search(r"[0-9]{5}", text)


# --- errors rules that name the fault's code (fault_code) --------------------------------------------


@pytest.mark.parametrize("code", ["soap:Client", "SOAP-ENV:Client", "env:Client", "Client", "s:Client.Duplicate"])
def test_the_client_fault_rule_matches_whatever_prefix_the_system_writes(
    answering: tuple[str, type[_FaultHandler]], code: str
) -> None:
    url, handler = answering
    handler.body = _fault(code, "Data pemohon tidak lengkap")
    with pytest.raises(RecordError, match=f"HTTP 500: SOAP fault {code}: Data pemohon tidak lengkap"):
        _connector(url).submit(ENVELOPE, FORM)  # the package's rule: fault_code Client -> record


@pytest.mark.parametrize("code", ["soap:Server", "soap:Clientele", "soap:MyClient", ""])
def test_another_fault_code_is_not_the_client_rule_s(answering: tuple[str, type[_FaultHandler]], code: str) -> None:
    url, handler = answering
    handler.body = _fault(code, "Server sibuk")
    with pytest.raises(BusyAnswer) as caught:  # no rule matches: busy, as any 5xx
        _connector(url).submit(ENVELOPE, FORM)
    assert caught.value.outcome_unknown


def test_a_rule_for_200_classifies_a_fault_inside_a_successful_answer(
    answering: tuple[str, type[_FaultHandler]],
) -> None:
    """A system that answers its faults with HTTP 200: its busy Server fault is retried, by the package's
    rule; a Client fault there is still refused (the default for a fault inside a 2xx)."""
    url, handler = answering
    package = copy.deepcopy(PACKAGE)
    package["local_system"]["errors"].append({"status": "200", "fault_code": "Server", "action": "retry"})
    handler.status, handler.body = 200, _fault("SOAP-ENV:Server", "Server sibuk")
    with pytest.raises(BusyAnswer, match="SOAP fault SOAP-ENV:Server: Server sibuk") as write:
        SoapConnector(package, SECRETS, base_url=url).submit(ENVELOPE, FORM)
    assert write.value.outcome_unknown
    with pytest.raises(BusyAnswer):
        SoapConnector(package, SECRETS, base_url=url).lookup(ENVELOPE)
    handler.body = _fault("SOAP-ENV:Client", "Data pemohon tidak lengkap")
    with pytest.raises(RecordError):
        SoapConnector(package, SECRETS, base_url=url).submit(ENVELOPE, FORM)
    with pytest.raises(FatalError, match="never taken as empty"):
        SoapConnector(package, SECRETS, base_url=url).lookup(ENVELOPE)
