"""Style (d), the regional PHP style (sandbox/local/rest_form.py), on a real loopback server: form posts with
bracket names, every answer HTTP 200 with a status envelope (refusals, a wrong key, busy), local
dd-mm-yyyy times in WIB, the API key in the query, a per-service and a whole-region status feed. The hub's
own connector talks to it exactly as the SIPINTER Jember packages declare."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.errors import BusyAnswer, FatalError, RecordError
from connectors.rest import RestConnector
from connectors.secrets import StaticSecrets
from sandbox.local.clock import WIB
from sandbox.local.rest_form import DATE_FORMAT
from tests.sandbox.fixtures_local import LocalRestServer
from tests.sandbox.local_support import FORM, TIMEOUT, envelope, form, ids

CODES = {"35.09/izin-reklame": "IRK", "35.09/izin-praktik-bidan": "SIPB", "35.09/tanda-daftar-usaha-pariwisata": "TDUP"}
BY_ID = {p["id"]: p for p in FORM}
REKLAME = BY_ID["35.09/izin-reklame"]


def _form(package: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Valid form data with an 08 phone number (generated data may say +62, which this system refuses)."""
    return {**form(package), "no_hp_pemohon": "081200000001", **values}


def _connector(package: dict[str, Any], server: LocalRestServer, key: str | None = None) -> RestConnector:
    secrets = StaticSecrets({**server.secrets, **({} if key is None else {"R3509_SIPINTER_API_KEY": key})})
    return RestConnector(package, secrets, base_url=server.url)


def _deliver(server: LocalRestServer, package: dict[str, Any], **form_values: Any) -> tuple[dict[str, Any], str]:
    application = envelope(package)
    reference = _connector(package, server).submit(application, _form(package, **form_values))
    return application, reference


def _busy(server: LocalRestServer, n: int, operation: str | None) -> None:
    response = requests.post(f"{server.url}/_sandbox/busy", json={"n": n, "operation": operation}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def _get(server: LocalRestServer, path: str, **query: Any) -> dict[str, Any]:
    response = requests.get(f"{server.url}{path}", params={"api_key": "sandbox-api-key", **query}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_style_serves_the_jember_packages_as_they_declare() -> None:
    assert sorted(BY_ID) == sorted(CODES)
    for package in FORM:
        local = package["local_system"]
        assert local["operations"]["submit"]["body_encoding"] == "form"
        assert local["auth"] == {
            "type": "api_key",
            "in": "query",
            "name": "api_key",
            "secret_ref": "R3509_SIPINTER_API_KEY",
        }
        assert local["date_format"] == DATE_FORMAT
        assert local["idempotency"] == {"strategy": "lookup_by_reference"}
        # one feed for the region's services (status_changes.feed), each row routed by its kode_layanan
        status_changes = local["operations"]["status_changes"]
        assert "query" not in status_changes, "no per-service filter: the region feed is read once"
        assert status_changes["feed"] == {
            "name": "riwayat-sipinter",
            "service_code_path": "kode_layanan",
            "service_code": CODES[package["id"]],
        }


@pytest.mark.parametrize("package", FORM, ids=ids(FORM))
def test_a_form_post_creates_the_application_under_its_bracket_names(
    package: dict[str, Any], local_rest_form: LocalRestServer
) -> None:
    application, reference = _deliver(local_rest_form, package)
    assert reference.startswith(f"JBR-{CODES[package['id']]}-")
    [created] = local_rest_form.truth()["applications"]
    assert created["reference"] == reference and created["national_id"] == application["id"]
    body = created["body"]
    assert body["kode_layanan"] == CODES[package["id"]]
    assert body["pemohon[hp]"].startswith("08") and len(body["pemohon[nik]"]) == 16
    assert any(name.startswith("data[") for name in body), "the service's own fields, as data[...]"
    # the lookup the hub makes before a retry finds it; an unknown id is "not found", not an error
    connector = _connector(package, local_rest_form)
    assert connector.lookup(application) == reference
    assert connector.lookup(envelope(package)) is None


def test_it_ignores_idempotency_keys_a_resend_is_a_second_application(local_rest_form: LocalRestServer) -> None:
    application = envelope(REKLAME)
    data = _form(REKLAME)
    connector = _connector(REKLAME, local_rest_form)
    first, second = connector.submit(application, data), connector.submit(application, data)
    assert first != second
    assert local_rest_form.truth()["submissions"]["created_per_national_id"] == {application["id"]: 2}


def test_a_phone_not_starting_with_08_is_refused_in_band_and_dead_letter_worthy(
    local_rest_form: LocalRestServer,
) -> None:
    # +62 is a valid national form value; this local system insists on 08
    assert "+62" in REKLAME["form"]["properties"]["no_hp_pemohon"]["pattern"]
    with pytest.raises(RecordError) as refused:
        _deliver(local_rest_form, REKLAME, no_hp_pemohon="+6281234567890")
    assert "No. HP pemohon harus diawali 08" in str(refused.value)
    assert "81234567890" not in str(refused.value)
    assert local_rest_form.truth()["applications"] == []


def test_every_answer_is_http_200_with_the_envelope(local_rest_form: LocalRestServer) -> None:
    url = f"{local_rest_form.url}/permohonan/simpan"
    as_json = requests.post(url, params={"api_key": "sandbox-api-key"}, json={"kode_layanan": "IRK"}, timeout=TIMEOUT)
    wrong_key = requests.post(url, params={"api_key": "nope"}, data={"kode_layanan": "IRK"}, timeout=TIMEOUT)
    no_key = requests.get(f"{local_rest_form.url}/permohonan/riwayat", timeout=TIMEOUT)
    unknown = requests.post(url, params={"api_key": "sandbox-api-key"}, data={"kode_layanan": "X"}, timeout=TIMEOUT)
    partial = requests.post(
        url, params={"api_key": "sandbox-api-key"}, data={"kode_layanan": "IRK", "pemohon[nik]": "1"}, timeout=TIMEOUT
    )
    assert [r.status_code for r in (as_json, wrong_key, no_key, unknown, partial)] == [200] * 5
    assert as_json.json() == {"status": False, "message": "Data pemohon tidak lengkap: kode_layanan", "data": None}
    assert wrong_key.json()["message"] == no_key.json()["message"] == "API key tidak valid"
    assert unknown.json() == {"status": False, "message": "Kode layanan tidak dikenal", "data": None}
    message = partial.json()["message"]
    assert (
        message.startswith("Data pemohon tidak lengkap: ")
        and "pemohon[hp]" in message
        and "pemohon[nik]" not in message
    )
    assert local_rest_form.truth()["applications"] == []


def test_a_wrong_api_key_is_fatal_for_writes_and_reads(local_rest_form: LocalRestServer) -> None:
    connector = _connector(REKLAME, local_rest_form, key="wrong-key")
    with pytest.raises(FatalError, match="API key tidak valid"):
        connector.submit(envelope(REKLAME), _form(REKLAME))
    with pytest.raises(FatalError, match="API key tidak valid"):
        list(connector.status_changes(None))
    with pytest.raises(FatalError, match="API key tidak valid"):
        connector.lookup(envelope(REKLAME))


def test_busy_is_retriable_and_a_busy_lookup_never_reads_as_not_found(local_rest_form: LocalRestServer) -> None:
    connector = _connector(REKLAME, local_rest_form)
    _busy(local_rest_form, 1, "submit")
    with pytest.raises(BusyAnswer, match="Server sibuk"):
        connector.submit(envelope(REKLAME), _form(REKLAME))
    assert local_rest_form.truth()["applications"] == [], "busy: nothing was created"
    _busy(local_rest_form, 1, "lookup")
    with pytest.raises(BusyAnswer):
        connector.lookup(envelope(REKLAME))  # not None: "not found" would make the hub send it again
    _busy(local_rest_form, 1, "feed")
    with pytest.raises(BusyAnswer):
        list(connector.status_changes(None))
    assert connector.lookup(envelope(REKLAME)) is None, "the busy spell is over"


def test_the_feed_writes_local_wib_times_the_hub_reads_back_as_utc(local_rest_form: LocalRestServer) -> None:
    application, reference = _deliver(local_rest_form, REKLAME)
    local_rest_form.step(3)
    truth = [c for c in local_rest_form.truth()["status_changes"] if c["reference"] == reference]
    rows = _get(local_rest_form, "/permohonan/riwayat", layanan="IRK")["data"]["rows"]
    assert [r["id_log"] for r in rows] == [c["event_id"] for c in truth]
    for row, change in zip(rows, truth, strict=True):
        utc = datetime.fromisoformat(change["changed_at"].replace("Z", "+00:00"))
        assert row["waktu"] == utc.astimezone(WIB).strftime(DATE_FORMAT)  # dd-mm-yyyy, WIB, to the second
    records = [r for page in _connector(REKLAME, local_rest_form).status_changes(None) for r in page]
    assert [getattr(r, "reference", None) for r in records] == [reference] * len(truth)
    for record, change in zip(records, truth, strict=True):
        utc = datetime.fromisoformat(change["changed_at"].replace("Z", "+00:00"))
        assert record.changed_at.tzinfo is not None  # type: ignore[union-attr]
        # read in WIB (the region's zone): the same instant, cut to the second; 7 hours off if read as UTC
        assert timedelta(0) <= utc - record.changed_at < timedelta(seconds=1)  # type: ignore[union-attr]
        assert record.national_id == application["id"]  # type: ignore[union-attr]


def test_sejak_is_local_time_and_inclusive(local_rest_form: LocalRestServer) -> None:
    _deliver(local_rest_form, REKLAME)
    last = local_rest_form.truth()["status_changes"][-1]
    moment = datetime.fromisoformat(last["changed_at"].replace("Z", "+00:00"))
    as_wib = moment.astimezone(WIB).strftime(DATE_FORMAT)
    as_utc = moment.astimezone(UTC).strftime(DATE_FORMAT)  # 7 hours earlier on the clock: everything
    later = (moment + timedelta(seconds=2)).astimezone(WIB).strftime(DATE_FORMAT)
    assert [r["id_log"] for r in _get(local_rest_form, "/permohonan/riwayat", sejak=as_wib)["data"]["rows"]] == [
        last["event_id"]
    ]
    assert _get(local_rest_form, "/permohonan/riwayat", sejak=later)["data"] == {"rows": [], "total_page": 0}
    assert len(_get(local_rest_form, "/permohonan/riwayat", sejak=as_utc)["data"]["rows"]) == 1
    iso = _get(local_rest_form, "/permohonan/riwayat", sejak=moment.isoformat())
    assert iso["status"] is False and "sejak" in iso["message"]


def test_one_region_feed_names_each_rows_service_and_pages_by_total(local_rest_form: LocalRestServer) -> None:
    for package in FORM:
        for _ in range(3):
            _deliver(local_rest_form, package)
    local_rest_form.step(2)
    changes = local_rest_form.truth()["status_changes"]
    whole = _get(local_rest_form, "/permohonan/riwayat", limit=4)
    pages = [whole] + [
        _get(local_rest_form, "/permohonan/riwayat", limit=4, page=n) for n in range(2, whole["data"]["total_page"] + 1)
    ]
    assert whole["data"]["total_page"] == -(-len(changes) // 4)
    rows = [row for page in pages for row in page["data"]["rows"]]
    assert [r["id_log"] for r in rows] == [c["event_id"] for c in changes], "every change once, in order"
    assert {r["kode_layanan"] for r in rows} == set(CODES.values())
    assert all(r["kode_layanan"] == c["service_code"] for r, c in zip(rows, changes, strict=True))
    one = _get(local_rest_form, "/permohonan/riwayat", layanan="SIPB", limit=100)["data"]
    assert one["total_page"] == 1 and {r["kode_layanan"] for r in one["rows"]} == {"SIPB"}
    assert len(one["rows"]) == sum(1 for c in changes if c["service_code"] == "SIPB")
    assert _get(local_rest_form, "/permohonan/riwayat", layanan="NOPE")["status"] is False


def test_busy_control_refuses_nonsense(local_rest_form: LocalRestServer) -> None:
    bad = requests.post(f"{local_rest_form.url}/_sandbox/busy", json={"n": -1}, timeout=TIMEOUT)
    worse = requests.post(f"{local_rest_form.url}/_sandbox/busy", json={"operation": "x"}, timeout=TIMEOUT)
    assert bad.status_code == worse.status_code == 400
    assert json.loads(bad.text)["detail"].startswith("n must be")
