"""The ``soap`` kind's own edges (the shared behaviour is the conformance suite's): the request it builds,
hostile answers refused before anything is expanded (DTD, entities, deep nesting), a SOAP Fault in a
200 answer refused, a Client fault at HTTP 500 classified by the package's errors rule, and a value XML
cannot carry refused before sending. Request shaping with ``responses`` (nothing leaves the process)."""

from __future__ import annotations

import copy
import json
from typing import Any

import defusedxml.ElementTree as SafeET
import pytest
import responses

from connectors.errors import BusyAnswer, FatalError, LostReply, RecordError
from connectors.secrets import StaticSecrets
from connectors.soap import SoapConnector, element_data, request_xml
from tests.conftest import REPO

BASE = "http://127.0.0.1:9"
SECRETS = StaticSecrets({"R3508_SIMPATI_USERNAME": "u", "R3508_SIMPATI_PASSWORD": "p"})
PACKAGE: dict[str, Any] = json.loads((REPO / "registry/packages/35.08/izin-usaha-mikro.json").read_text())
URL = BASE + PACKAGE["local_system"]["path"]
ENVELOPE = {"id": "NAT-1", "submitted_at": "2026-12-07T08:00:00Z", "channel": "web"}
FORM = {
    "nik_pemilik": "3508010101900001",
    "nama_pemilik": "Siti & Budi <CV>",
    "no_hp_pemilik": "081234567890",
    "nama_usaha": "Warung",
    "alamat_usaha": "Jl. Merdeka 1",
    "kecamatan_usaha": "Lumajang",
}
NS = PACKAGE["local_system"]["namespace"]


def _answer(inner: str) -> str:
    return (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f"{inner}</s:Body></s:Envelope>"
    )


def _connector() -> SoapConnector:
    return SoapConnector(copy.deepcopy(PACKAGE), SECRETS, base_url=BASE)


@responses.activate
def test_submit_posts_the_operation_element_with_its_soapaction() -> None:
    responses.post(
        URL,
        body=_answer(
            f'<AjukanPermohonanResponse xmlns="{NS}"><AjukanPermohonanResult>'
            "<NomorRegistrasi>LMJ-1</NomorRegistrasi></AjukanPermohonanResult></AjukanPermohonanResponse>"
        ),
    )
    assert _connector().submit(ENVELOPE, FORM) == "LMJ-1"
    sent = responses.calls[0].request
    assert sent.headers["SOAPAction"] == '"http://simpati.lumajangkab.go.id/ws/AjukanPermohonan"'
    assert sent.headers["Content-Type"].startswith("text/xml")
    assert sent.headers["Authorization"].startswith("Basic ")
    call = element_data(SafeET.fromstring(sent.body))["Body"]["AjukanPermohonan"]
    assert call["KodeLayanan"] == "IUMK" and call["IdNasional"] == "NAT-1"
    assert call["Pemohon"] == {"NIK": FORM["nik_pemilik"], "Nama": "Siti & Budi <CV>", "Telepon": FORM["no_hp_pemilik"]}


def test_repeated_elements_read_as_a_list_and_one_as_an_object() -> None:
    one = element_data(SafeET.fromstring("<r><P><a>1</a></P></r>"))
    two = element_data(SafeET.fromstring("<r><P><a>1</a></P><P><a>2</a></P></r>"))
    assert one == {"P": {"a": "1"}} and two == {"P": [{"a": "1"}, {"a": "2"}]}


@pytest.mark.parametrize(
    "hostile",
    [
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    ],
    ids=["entity-expansion", "external-entity"],
)
@responses.activate
def test_an_answer_with_a_dtd_or_entities_is_refused(hostile: str) -> None:
    responses.post(URL, body=hostile)
    with pytest.raises(FatalError, match="DTD or entities"):
        list(_connector().status_changes(None))
    with pytest.raises(LostReply, match="DTD or entities") as caught:  # a write may still have arrived
        _connector().submit(ENVELOPE, FORM)
    assert caught.value.outcome_unknown


@responses.activate
def test_a_deeply_nested_answer_is_refused() -> None:
    responses.post(URL, body=_answer("<a>" * 200 + "x" + "</a>" * 200))
    with pytest.raises(FatalError, match="nests deeper"):
        _connector().lookup(ENVELOPE)


@responses.activate
def test_a_fault_in_a_200_answer_is_a_refusal_never_an_empty_feed() -> None:
    fault = _answer("<s:Fault><faultcode>s:Client</faultcode><faultstring>Data tidak lengkap</faultstring></s:Fault>")
    responses.post(URL, body=fault)
    with pytest.raises(RecordError, match="Data tidak lengkap"):
        _connector().submit(ENVELOPE, FORM)
    with pytest.raises(FatalError, match="never taken as empty"):
        list(_connector().status_changes(None))


@responses.activate
def test_a_client_fault_at_500_is_the_records_fault_a_server_fault_is_busy() -> None:
    client = _answer("<s:Fault><faultcode>soap:Client</faultcode><faultstring>x</faultstring></s:Fault>")
    server = _answer("<s:Fault><faultcode>soap:Server</faultcode><faultstring>sibuk</faultstring></s:Fault>")
    responses.post(URL, body=client, status=500)
    responses.post(URL, body=server, status=500)
    with pytest.raises(RecordError):  # the package's errors rule: fault_code Client -> record
        _connector().submit(ENVELOPE, FORM)
    with pytest.raises(BusyAnswer):
        _connector().submit(ENVELOPE, FORM)


@responses.activate
def test_a_malformed_answer_is_a_lost_reply() -> None:
    responses.post(URL, body="<s:Envelope><s:Body><cut")
    with pytest.raises(LostReply) as caught:
        _connector().submit(ENVELOPE, FORM)
    assert caught.value.outcome_unknown


@responses.activate
def test_a_value_xml_cannot_carry_is_refused_before_sending() -> None:
    with pytest.raises(RecordError, match="control character"):
        _connector().submit(ENVELOPE, {**FORM, "nama_usaha": "Warung\x00"})
    assert len(responses.calls) == 0


def test_the_request_escapes_markup_in_values() -> None:
    body = request_xml(NS, "Op", {"A": "</A><B>injected</B>"})
    assert element_data(SafeET.fromstring(body))["Body"]["Op"] == {"A": "</A><B>injected</B>"}
