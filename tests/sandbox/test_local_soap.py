"""The simulated SOAP web service (``sandbox/local/soap_service.py``): it refuses what an IIS ``.asmx``
would (a wrong credential with 401, an incomplete request with a ``soap:Client`` fault, a DTD in a
request), does not honour idempotency keys, and its busy switch answers ``soap:Server`` faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sandbox.local import soap_service
from sandbox.local.catalogue import load_packages
from sandbox.serve import RunningServer, serve_in_thread

NS = soap_service.NAMESPACE
AUTH = ("sandbox", "sandbox-password")


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """The soap style serving the sample registry's soap package."""
    running = serve_in_thread(soap_service.create_app())
    yield running
    running.stop()


def _call(server: RunningServer, operation: str, inner: str, auth: tuple[str, str] = AUTH) -> requests.Response:
    body = (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<{operation} xmlns="{NS}">{inner}</{operation}></s:Body></s:Envelope>'
    )
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}/{operation}"'}
    return requests.post(f"{server.url}/ws/PelayananService.asmx", data=body, headers=headers, auth=auth, timeout=10)


SUBMIT = (
    "<KodeLayanan>IUMK</KodeLayanan><IdNasional>N-1</IdNasional><TanggalPengajuan>2026-12-07T08:00:00Z"
    "</TanggalPengajuan><Kanal>web</Kanal><Pemohon><NIK>3508010101900001</NIK><Nama>Siti</Nama>"
    "<Telepon>081234567890</Telepon></Pemohon><Usaha><Nama>Warung</Nama><Alamat>Jl. Merdeka 1</Alamat>"
    "<Kecamatan>Lumajang</Kecamatan></Usaha>"
)


def test_the_sample_registry_has_a_soap_package_for_it() -> None:
    assert soap_service.soap_services(load_packages())


def test_a_wrong_credential_is_401(server: RunningServer) -> None:
    assert _call(server, "CariPermohonan", "<IdNasional>x</IdNasional>", ("sandbox", "wrong")).status_code == 401


def test_an_incomplete_submit_is_a_client_fault(server: RunningServer) -> None:
    answer = _call(server, "AjukanPermohonan", "<KodeLayanan>IUMK</KodeLayanan>")
    assert answer.status_code == 500 and "soap:Client" in answer.text and "tidak lengkap" in answer.text


def test_a_request_with_a_dtd_is_refused(server: RunningServer) -> None:
    body = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x">]><r>&a;</r>'
    answer = requests.post(
        f"{server.url}/ws/PelayananService.asmx", data=body, auth=AUTH, timeout=10, headers={"SOAPAction": '""'}
    )
    assert answer.status_code == 500 and "soap:Client" in answer.text


def test_a_resend_creates_a_second_application_but_lookup_finds_the_first(server: RunningServer) -> None:
    first, second = _call(server, "AjukanPermohonan", SUBMIT), _call(server, "AjukanPermohonan", SUBMIT)
    assert first.status_code == second.status_code == 200
    truth = requests.get(f"{server.url}/_sandbox/truth", timeout=10).json()
    assert truth["submissions"]["created_per_national_id"] == {"N-1": 2}
    found = _call(server, "CariPermohonan", "<IdNasional>N-1</IdNasional>")
    assert "LMJ-IUMK-" in found.text and "00001" in found.text
    assert "NomorRegistrasi" not in _call(server, "CariPermohonan", "<IdNasional>N-9</IdNasional>").text


def test_busy_answers_server_faults(server: RunningServer) -> None:
    requests.post(f"{server.url}/_sandbox/busy", json={"n": 1}, timeout=10).raise_for_status()
    busy = _call(server, "CariPermohonan", "<IdNasional>x</IdNasional>")
    assert busy.status_code == 500 and "soap:Server" in busy.text
    assert _call(server, "CariPermohonan", "<IdNasional>x</IdNasional>").status_code == 200
