"""Answer envelopes (issue 18, item 2): a local system that answers HTTP 200 with
``{"status": false, "message": "..."}``. Request shaping with `responses` (nothing leaves the process;
the base URL is loopback): the envelope's failure is classified by the package's ``errors`` table, an
unmatched one is refused for a write and fatal for a read, and a lookup never reads it as "not found"."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import responses

from connectors.errors import BusyAnswer, FatalError, RecordError
from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets

BASE = "http://127.0.0.1:9/api/v1"
SUBMIT_URL = f"{BASE}/permohonan"
FEED_URL = f"{BASE}/permohonan/perubahan-status"
LOOKUP_URL = f"{BASE}/permohonan/cari"
SECRETS = StaticSecrets({"R3576_DISPENDUK_TOKEN": "tkn-1"})
ENVELOPE = {"id": "NAT-1", "submitted_at": "2026-11-02T08:00:00Z", "service_id": "35.76/akta-kelahiran"}
FORM = {
    "nik_pelapor": "3576010101900001",
    "nama_pelapor": "Siti",
    "no_hp_pelapor": "081234567890",
    "no_kk": "3576010101900002",
    "nama_anak": "Budi",
    "jenis_kelamin_anak": "L",
    "tanggal_lahir_anak": "2026-10-01",
    "tempat_lahir_anak": "Mojokerto",
    "nama_ibu": "Siti",
    "nik_ibu": "3576014101900003",
}
# the answer of a common regional PHP style (issue 18)
REFUSED = {"status": False, "message": "No. HP pemohon 081234567890 harus diawali 08", "data": None}
WRONG_KEY = {"status": False, "message": "API Key tidak valid", "data": None}
BUSY = {"status": False, "message": "Server sedang sibuk, coba lagi", "data": None}
RULES = [
    {"status": "200", "message_contains": "harus diawali", "action": "record"},
    {"status": "200", "message_contains": "api key", "action": "fatal"},
    {"status": "2xx", "message_contains": "sibuk", "action": "retry"},
    {"status": "5xx", "action": "retry"},
]


def _connector(good_doc: dict[str, Any], errors: list[dict[str, Any]] | None = None, **local: Any) -> RestConnector:
    doc = copy.deepcopy(good_doc)
    system = doc["local_system"]
    system["envelope"] = {"success": "status == `true`", "message": "message"}
    system["errors"] = RULES if errors is None else errors
    system["idempotency"] = {"strategy": "lookup_by_reference"}
    system["operations"]["lookup"] = {
        "method": "GET",
        "path": "/permohonan/cari",
        "query": {"id_nasional": "{application.id}"},
        "reference_path": "data.nomor_registrasi",
    }
    system.update(local)
    return RestConnector(doc, SECRETS, base_url=BASE)


def _read_feed(connector: RestConnector) -> list[Any]:
    return [record for page in connector.status_changes("2026-11-01T00:00:00") for record in page]


@responses.activate
def test_a_refusal_inside_a_200_is_a_record_error_with_the_masked_local_message(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=REFUSED, status=200)
    with pytest.raises(RecordError) as raised:
        _connector(good_doc).submit(ENVELOPE, FORM)
    text = str(raised.value)
    assert "harus diawali 08" in text  # the officer reads the local system's own reason
    assert "0812******90" in text and "081234567890" not in text  # the phone number is masked


@responses.activate
def test_an_unmatched_refusal_of_a_write_is_a_record_error_not_an_unknown_outcome(good_doc: dict[str, Any]) -> None:
    body = {"status": False, "message": "NIK 3576010101900001 sudah terdaftar", "data": None}
    responses.post(SUBMIT_URL, json=body, status=200)
    with pytest.raises(RecordError) as raised:
        _connector(good_doc, errors=[]).submit(ENVELOPE, FORM)
    assert "sudah terdaftar" in str(raised.value)
    assert "3576************" in str(raised.value) and "3576010101900001" not in str(raised.value)


@responses.activate
def test_a_wrong_key_inside_a_200_is_fatal_for_a_write_and_a_read(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=WRONG_KEY, status=200)
    responses.get(FEED_URL, json=WRONG_KEY, status=200)
    connector = _connector(good_doc)
    with pytest.raises(FatalError, match="API Key tidak valid"):
        connector.submit(ENVELOPE, FORM)
    with pytest.raises(FatalError, match="API Key tidak valid"):
        _read_feed(connector)  # never an empty feed


@responses.activate
def test_a_busy_answer_inside_a_200_is_retried_and_honours_retry_after(good_doc: dict[str, Any]) -> None:
    responses.post(SUBMIT_URL, json=BUSY, status=200, headers={"Retry-After": "7"})
    with pytest.raises(BusyAnswer) as raised:
        _connector(good_doc).submit(ENVELOPE, FORM)
    assert raised.value.retry_after == 7.0
    # like a 5xx: an answer saying "try again" may still come after the work was done, so the next attempt
    # looks the application up (or reuses its key) before writing again
    assert raised.value.outcome_unknown is True


@responses.activate
def test_an_unmatched_failure_of_a_read_is_fatal_never_an_empty_feed(good_doc: dict[str, Any]) -> None:
    responses.get(FEED_URL, json={"status": False, "message": "Terjadi kesalahan", "data": []}, status=200)
    with pytest.raises(FatalError, match="Terjadi kesalahan"):
        _read_feed(_connector(good_doc, errors=[]))


@responses.activate
@pytest.mark.parametrize(("answer", "error"), [(BUSY, BusyAnswer), (WRONG_KEY, FatalError), (REFUSED, RecordError)])
def test_a_lookup_that_did_not_succeed_raises_instead_of_saying_not_found(
    answer: dict[str, Any], error: type[Exception], good_doc: dict[str, Any]
) -> None:
    responses.get(LOOKUP_URL, json=answer, status=200)
    with pytest.raises(error):
        _connector(good_doc).lookup(ENVELOPE)


@responses.activate
def test_an_unmatched_failure_of_a_lookup_is_fatal(good_doc: dict[str, Any]) -> None:
    responses.get(LOOKUP_URL, json={"status": False, "message": "Gagal", "data": None}, status=200)
    with pytest.raises(FatalError, match="Gagal"):
        _connector(good_doc, errors=[]).lookup(ENVELOPE)


@responses.activate
def test_a_body_without_the_success_field_is_not_a_success(good_doc: dict[str, Any]) -> None:
    # a predicate that gives anything but true (null here: the field is missing) is a failure
    responses.get(FEED_URL, json={"data": [{"id_riwayat": 1}]}, status=200)
    with pytest.raises(FatalError, match="the answer says the request failed"):
        _read_feed(_connector(good_doc, errors=[]))


@responses.activate
def test_a_success_passes_and_the_same_answer_saying_failure_does_not(good_doc: dict[str, Any]) -> None:
    connector = _connector(good_doc)
    responses.post(SUBMIT_URL, json={"status": True, "message": "Berhasil", "data": {"nomor_registrasi": "REG-1"}})
    responses.get(LOOKUP_URL, json={"status": True, "message": "Berhasil", "data": None})
    responses.get(FEED_URL, json={"status": True, "data": []})
    assert connector.submit(ENVELOPE, FORM) == "REG-1"
    assert connector.lookup(ENVELOPE) is None  # a succeeded answer without the application: truly not found
    assert _read_feed(connector) == []
    responses.replace(responses.POST, SUBMIT_URL, json={**REFUSED, "data": {"nomor_registrasi": "REG-1"}})
    with pytest.raises(RecordError):
        connector.submit(ENVELOPE, FORM)


@responses.activate
def test_an_operation_may_declare_its_own_envelope(good_doc: dict[str, Any]) -> None:
    connector = _connector(good_doc, errors=[])
    feed = connector.operations["status_changes"]
    feed["envelope"] = {"success": "kode == '00'", "message": "pesan"}
    responses.get(FEED_URL, json={"kode": "00", "data": [{"id_riwayat": 1}]})
    assert len(_read_feed(connector)) == 1
    responses.replace(responses.GET, FEED_URL, json={"kode": "99", "pesan": "Token kedaluwarsa"})
    with pytest.raises(FatalError, match="Token kedaluwarsa"):
        _read_feed(connector)


@responses.activate
def test_an_error_status_shows_the_masked_local_message_and_message_rules_match_it(good_doc: dict[str, Any]) -> None:
    body = {"status": False, "message": "No. HP 081234567890 harus diawali 08"}
    responses.post(SUBMIT_URL, json=body, status=400)
    rules = [
        {"status": "4xx", "message_contains": "HARUS DIAWALI", "action": "record"},
        {"status": "4xx", "action": "fatal"},
    ]
    with pytest.raises(RecordError) as raised:
        _connector(good_doc, errors=rules).submit(ENVELOPE, FORM)
    assert "HTTP 400: No. HP 0812******90 harus diawali 08" in str(raised.value)
