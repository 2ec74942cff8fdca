"""Request shaping of the rest connector, with `responses` (no server): auth, idempotency, mapping,
pagination styles and error classification. Behaviour against real servers is tested with the sandbox."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
import requests
import responses

from connectors.errors import FatalError, RecordError, RetriableError
from connectors.http import HttpClient, retry_after_seconds
from connectors.mapping import build_object, fill
from connectors.rest import RestConnector
from connectors.secrets import EnvSecrets, StaticSecrets

BASE = "https://dispendukcapil.mojokertokota.go.id/api/v1"
SECRETS = StaticSecrets(
    {
        "R3576_DISPENDUK_TOKEN": "tkn-1",
        "R3576_U": "user",
        "R3576_P": "pass",
        "R3576_K": "key-9",
        "R3576_CID": "id",
        "R3576_CS": "cs",
    }
)
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


def _connector(good_doc: dict[str, Any], **changes: Any) -> RestConnector:
    doc = copy.deepcopy(good_doc)
    doc["local_system"].update(changes)
    return RestConnector(doc, SECRETS)


@responses.activate
def test_submit_maps_the_body_and_sends_the_idempotency_key(good_doc: dict[str, Any]) -> None:
    responses.post(f"{BASE}/permohonan", json={"data": {"nomor_registrasi": "REG-1"}}, status=201)
    assert _connector(good_doc).submit(ENVELOPE, FORM) == "REG-1"
    sent = responses.calls[0].request
    assert sent.headers["Idempotency-Key"] == "NAT-1"
    assert sent.headers["Authorization"] == "Bearer tkn-1"
    body = json.loads(sent.body or b"{}")
    assert body["jenis_layanan"] == "AKTA_LAHIR"
    assert body["pelapor"] == {"nik": "3576010101900001", "nama": "Siti", "telepon": "081234567890"}
    assert "ayah" not in body  # optional fields absent from the form are left out


@pytest.mark.parametrize(
    ("auth", "check"),
    [
        (
            {"type": "basic", "username_ref": "R3576_U", "password_ref": "R3576_P"},
            lambda r: r.headers["Authorization"] == "Basic " + base64.b64encode(b"user:pass").decode(),
        ),
        (
            {"type": "api_key", "in": "header", "name": "X-API-Key", "secret_ref": "R3576_K"},
            lambda r: r.headers["X-API-Key"] == "key-9",
        ),
        (
            {"type": "api_key", "in": "query", "name": "apikey", "secret_ref": "R3576_K"},
            lambda r: "apikey=key-9" in r.url,
        ),
        ({"type": "none"}, lambda r: "Authorization" not in r.headers),
    ],
)
@responses.activate
def test_auth_kinds(auth: dict[str, Any], check: Any, good_doc: dict[str, Any]) -> None:
    responses.post(f"{BASE}/permohonan", json={"data": {"nomor_registrasi": "REG-1"}})
    _connector(good_doc, auth=auth).submit(ENVELOPE, FORM)
    assert check(responses.calls[0].request)


@responses.activate
def test_oauth2_client_credentials_token_is_fetched_once(good_doc: dict[str, Any]) -> None:
    responses.post("https://sso.example.go.id/token", json={"access_token": "at-1", "expires_in": 3600})
    responses.post(f"{BASE}/permohonan", json={"data": {"nomor_registrasi": "R"}})
    auth = {
        "type": "oauth2_client_credentials",
        "token_url": "https://sso.example.go.id/token",
        "client_id_ref": "R3576_CID",
        "client_secret_ref": "R3576_CS",
    }
    connector = _connector(good_doc, auth=auth)
    connector.submit(ENVELOPE, FORM)
    connector.submit(dict(ENVELOPE, id="NAT-2"), FORM)
    assert [c.request.url for c in responses.calls].count("https://sso.example.go.id/token") == 1
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer at-1"


def test_missing_secret_is_fatal_and_names_only_the_reference(good_doc: dict[str, Any]) -> None:
    with pytest.raises(FatalError, match="secret R3576_DISPENDUK_TOKEN is not set"):
        RestConnector(good_doc, EnvSecrets({}))


@pytest.mark.parametrize(
    ("status", "headers", "error", "unknown", "retry_after"),
    [
        (503, {}, RetriableError, True, None),
        (429, {"Retry-After": "7"}, RetriableError, False, 7.0),
        (401, {}, FatalError, None, None),
        (422, {}, RecordError, None, None),  # the package says 422 is record-level
        (409, {}, RecordError, None, None),
        (404, {}, FatalError, None, None),
    ],
)
@responses.activate
def test_write_errors_are_classified(
    status: int,
    headers: dict[str, str],
    error: type,
    unknown: bool | None,
    retry_after: float | None,
    good_doc: dict[str, Any],
) -> None:
    responses.post(f"{BASE}/permohonan", json={"title": "x"}, status=status, headers=headers)
    with pytest.raises(error) as raised:
        _connector(good_doc).submit(ENVELOPE, FORM)
    if unknown is not None:
        assert isinstance(raised.value, RetriableError)
        assert raised.value.outcome_unknown is unknown
        assert raised.value.retry_after == retry_after
    assert "Siti" not in str(raised.value) and "3576" not in str(raised.value)  # no personal data in errors


@responses.activate
def test_timeout_after_send_leaves_the_outcome_unknown(good_doc: dict[str, Any]) -> None:
    responses.post(f"{BASE}/permohonan", body=requests.exceptions.ReadTimeout())
    with pytest.raises(RetriableError) as raised:
        _connector(good_doc).submit(ENVELOPE, FORM)
    assert raised.value.outcome_unknown


@responses.activate
def test_truncated_body_is_retriable(good_doc: dict[str, Any]) -> None:
    responses.post(f"{BASE}/permohonan", body='{"data": {"nomor_regis', content_type="application/json")
    with pytest.raises(RetriableError, match="not valid JSON") as raised:
        _connector(good_doc).submit(ENVELOPE, FORM)
    assert raised.value.outcome_unknown


@responses.activate
def test_page_number_pagination(good_doc: dict[str, Any]) -> None:
    op = good_doc["local_system"]["operations"]["status_changes"]
    op["pagination"]["page_size"] = 2
    for page, ids in ((1, [1, 2]), (2, [3, 4]), (3, [5])):
        responses.get(
            f"{BASE}/permohonan/perubahan-status",
            json={"data": [{"id_riwayat": i} for i in ids]},
            match=[
                responses.matchers.query_param_matcher(
                    {
                        "halaman": str(page),
                        "per_halaman": "2",
                        "jenis_layanan": "AKTA_LAHIR",
                        "sejak": "2026-11-01T00:00:00",
                    }
                )
            ],
        )
    got = [
        r["id_riwayat"] for page in _connector(good_doc)._pages("status_changes", "2026-11-01T00:00:00") for r in page
    ]
    assert got == [1, 2, 3, 4, 5]


@responses.activate
def test_cursor_pagination(good_doc: dict[str, Any]) -> None:
    good_doc["local_system"]["operations"]["status_changes"]["pagination"] = {
        "style": "cursor",
        "cursor_param": "cursor",
        "next_cursor_path": "meta.next",
    }
    responses.get(
        f"{BASE}/permohonan/perubahan-status",
        json={"data": [{"n": 1}], "meta": {"next": "abc"}},
        match=[responses.matchers.query_param_matcher({"jenis_layanan": "AKTA_LAHIR"})],
    )
    responses.get(
        f"{BASE}/permohonan/perubahan-status",
        json={"data": [{"n": 2}], "meta": {"next": None}},
        match=[responses.matchers.query_param_matcher({"jenis_layanan": "AKTA_LAHIR", "cursor": "abc"})],
    )
    assert [r["n"] for p in _connector(good_doc)._pages("status_changes", None) for r in p] == [1, 2]


@responses.activate
def test_next_link_is_followed_only_on_the_same_origin(good_doc: dict[str, Any]) -> None:
    good_doc["local_system"]["operations"]["status_changes"]["pagination"] = {
        "style": "next_link",
        "next_link": "header",
    }
    url = f"{BASE}/permohonan/perubahan-status"
    responses.get(
        url,
        json={"data": [{"n": 1}]},
        headers={"Link": f'<{url}?page=2>; rel="next"'},
        match=[responses.matchers.query_param_matcher({"jenis_layanan": "AKTA_LAHIR"})],
    )
    responses.get(
        url,
        json={"data": [{"n": 2}]},
        headers={"Link": '<http://169.254.169.254/latest>; rel="next"'},
        match=[responses.matchers.query_param_matcher({"page": "2"})],
    )
    pages = _connector(good_doc)._pages("status_changes", None)
    assert next(pages) == [{"n": 1}]
    assert next(pages) == [{"n": 2}]
    with pytest.raises(FatalError, match="next link leaves"):
        next(pages)


def test_mapping_builds_nested_targets_and_fills_placeholders() -> None:
    data = {"application": {"id": "A/1 2"}, "form": {"nik": "1", "nama": "Siti"}}
    assert build_object({"pemohon.nik": "form.nik", "pemohon.nama": "form.nama", "x": "form.tidak_ada"}, data) == {
        "pemohon": {"nik": "1", "nama": "Siti"}
    }
    assert fill("/permohonan/{application.id}", data) == "/permohonan/A%2F1%202"


@pytest.mark.parametrize(("value", "seconds"), [("5", 5.0), (None, None), ("soon", None)])
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value) == seconds


@responses.activate
def test_url_policy_blocks_before_sending() -> None:
    def deny(url: str) -> None:
        raise FatalError(f"host not allowed: {url}")

    client = HttpClient("http://169.254.169.254", url_policy=deny)
    with pytest.raises(FatalError, match="host not allowed"):
        client.request("GET", "/latest/meta-data")
    assert len(responses.calls) == 0
