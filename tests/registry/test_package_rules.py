"""Every rule of the package format, table-driven: a mutation of a valid package and the exact problem
it must produce (path, message, rule). The valid package itself has no problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.validate import check_document, validate_file

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        for m in mutations:
            m(doc)

    return mutate


SUBMIT = "local_system.operations.submit"
CASES: list[tuple[str, Mutation, str, str, str]] = [
    # (case, mutation, expected JSON path, expected message (substring), rule)
    # --- region ---
    (
        "region not in table",
        _both(_set("region", "35.99"), _set("id", "35.99/akta-kelahiran")),
        "$.region",
        "region '35.99' is not a Kemendagri code in idn-area-data 4.0.1; did you mean",
        "region",
    ),
    (
        "id region differs",
        _set("id", "35.16/akta-kelahiran"),
        "$.id",
        "id starts with region '35.16' but the package's region is '35.76'",
        "region",
    ),
    (
        "region shape",
        _set("region", "35-76"),
        "$.region",
        "region must be a Kemendagri code like 35 (province) or 35.76 (regency/city)",
        "schema.pattern",
    ),
    # --- id / version / schema_version ---
    ("id with dot-dot", _set("id", "35.76/../etc"), "$.id", "id must be '<region>/<slug>'", "schema.pattern"),
    ("id with extra slash", _set("id", "35.76/a/b"), "$.id", "id must be '<region>/<slug>'", "schema.pattern"),
    ("version not semver", _set("version", "v1"), "$.version", "version must be a semantic version", "schema.pattern"),
    (
        "unknown schema_version",
        _set("schema_version", "2"),
        "$.schema_version",
        'schema_version must be "1"',
        "schema.constant",
    ),
    # --- service ---
    (
        "sla zero",
        _set("service.sla_working_days", 0),
        "$.service.sla_working_days",
        "sla_working_days must be a whole number of working days from 1 to 365",
        "schema.minimum",
    ),
    (
        "sla negative",
        _set("service.sla_working_days", -3),
        "$.service.sla_working_days",
        "sla_working_days must be a whole number of working days from 1 to 365",
        "schema.minimum",
    ),
    (
        "category not in list",
        _set("service.category", "kependudukn"),
        "$.service.category",
        "did you mean 'kependudukan'?",
        "schema.enum",
    ),
    (
        "paid fee without amount",
        _set("service.fee", {"type": "paid", "legal_basis": "Perda 1/2020"}),
        "$.service.fee",
        "missing required field 'amount_idr'",
        "schema.required",
    ),
    (
        "misspelt field",
        _both(_set("service.fe", {"type": "free"}), _delete("service.fee")),
        "$.service.fe",
        "unknown field 'fe'; did you mean 'fee'?",
        "schema.unknown-field",
    ),
    (
        "duplicate requirement id",
        _set("service.requirements.1.id", "surat_keterangan_lahir"),
        "$.service.requirements[1].id",
        "requirement id 'surat_keterangan_lahir' is already used by $.service.requirements[0]",
        "requirement-id-unique",
    ),
    # --- form ---
    (
        "form not a JSON schema",
        _set("form.properties.nama_anak.minLength", -1),
        "$.form.properties.nama_anak.minLength",
        "not valid JSON Schema 2020-12",
        "schema.form-metaschema",
    ),
    (
        "form field name not snake_case",
        _set("form.properties.NamaAnak", {"type": "string"}),
        "$.form.properties.NamaAnak",
        "form field names must be lowercase snake_case",
        "schema.property-name",
    ),
    (
        "nik field unmarked",
        _set("form.properties.nik_saksi", {"type": "string", "pattern": "^[0-9]{16}$"}),
        "$.form.properties.nik_saksi",
        'looks like a NIK: mark it with "x-personal-data": "nik"',
        "personal-data-unmarked",
    ),
    (
        "phone field unmarked",
        _set("form.properties.telepon_saksi", {"type": "string"}),
        "$.form.properties.telepon_saksi",
        "looks like a phone number",
        "personal-data-unmarked",
    ),
    # --- mapping sources ---
    (
        "form source misspelt",
        _set(f"{SUBMIT}.body.jenis_layanan", "form.nama_anakk"),
        "$.local_system.operations.submit.body.jenis_layanan",
        "source 'form.nama_anakk': the form has no field 'nama_anakk'; did you mean 'nama_anak'?",
        "mapping-source",
    ),
    (
        "envelope source misspelt",
        _set(f"{SUBMIT}.body.id_permohonan_nasional", "application.idd"),
        "$.local_system.operations.submit.body.id_permohonan_nasional",
        "the application envelope has no field 'idd'; did you mean 'id'?",
        "mapping-source",
    ),
    (
        "source outside envelope",
        _set(f"{SUBMIT}.body.no_kk", "formulir.no_kk"),
        "$.local_system.operations.submit.body.no_kk",
        "must start with application. or form.",
        "mapping-source",
    ),
    (
        "source inside a function",
        _set(f"{SUBMIT}.body.no_kk", "join('-', [form.no_kk, form.nomor_kk])"),
        "$.local_system.operations.submit.body.no_kk",
        "the form has no field 'nomor_kk'",
        "mapping-source",
    ),
    (
        "invalid JMESPath",
        _set(f"{SUBMIT}.body.no_kk", "form.no_kk[["),
        "$.local_system.operations.submit.body.no_kk",
        "invalid JMESPath expression",
        "mapping-source",
    ),
    (
        "path placeholder misspelt",
        _set(f"{SUBMIT}.path", "/permohonan/{application.idd}"),
        "$.local_system.operations.submit.path",
        "placeholder {application.idd}",
        "mapping-source",
    ),
    (
        "NIK in a URL path",
        _set(f"{SUBMIT}.path", "/permohonan/{form.nik_pelapor}"),
        "$.local_system.operations.submit.path",
        "placeholder {form.nik_pelapor} puts personal data (nik) into a URL",
        "mapping-source",
    ),
    (
        "phone in a URL query",
        _set(f"{SUBMIT}.query", {"hp": "{form.no_hp_pelapor}"}),
        "$.local_system.operations.submit.query.hp",
        "puts personal data (phone) into a URL",
        "mapping-source",
    ),
    # --- status map ---
    (
        "status target outside vocabulary",
        _set("local_system.status_map.SELESAI", "approve"),
        "$.local_system.status_map.SELESAI",
        "did you mean 'approved'?",
        "schema.enum",
    ),
    (
        "status map never finishes",
        _set("local_system.status_map", {"BARU": "received", "PROSES": "processing"}),
        "$.local_system.status_map",
        "no local status maps to approved or rejected or cancelled",
        "status-map-terminal",
    ),
    # --- secrets ---
    (
        "password in auth",
        _set(
            "local_system.auth",
            {"type": "basic", "username_ref": "U_REF", "password_ref": "P_REF", "password": "rahasia123"},
        ),
        "$.local_system.auth.password",
        "'password' holds a literal credential",
        "literal-secret",
    ),
    (
        "token instead of secret_ref",
        _set("local_system.auth.secret_ref", "eyJhbGciOiJIUzI1NiJ9xK2mQ9pL7vR3tW8y"),
        "$.local_system.auth.secret_ref",
        "secret_ref must be the NAME of a secret",
        "schema.pattern",
    ),
    (
        "authorization header",
        _set(f"{SUBMIT}.headers", {"Authorization": "Bearer abc"}),
        "$.local_system.operations.submit.headers.Authorization",
        "'Authorization' holds a literal credential",
        "literal-secret",
    ),
    (
        "high-entropy header",
        _set(f"{SUBMIT}.headers", {"X-Kunci": "q8ZrT4mW9xKp2LvN7bYc3HdF"}),
        "$.local_system.operations.submit.headers.X-Kunci",
        "looks like a secret (a long random string)",
        "literal-secret",
    ),
    (
        "credentials in URL",
        _set("local_system.base_url", "https://admin:rahasia@capil.mojokertokota.go.id/api"),
        "$.local_system.base_url",
        "the URL carries a user name or password",
        "literal-secret",
    ),
    (
        "key in URL query",
        _set("local_system.base_url", "https://capil.mojokertokota.go.id/api?api_key=abc"),
        "$.local_system.base_url",
        "query parameter 'api_key' looks like a credential",
        "literal-secret",
    ),
    (
        "random literal in mapping",
        _set(f"{SUBMIT}.body.kunci", "'Zx8Qm2Lp9Rt4Vw7Ks3Nd6Hf'"),
        "$.local_system.operations.submit.body.kunci",
        "looks like a secret",
        "literal-secret",
    ),
    # --- endpoints ---
    (
        "plain http",
        _set("local_system.base_url", "http://capil.mojokertokota.go.id/api"),
        "$.local_system.base_url",
        "plain http to 'capil.mojokertokota.go.id' is not allowed: use https",
        "endpoint-scheme",
    ),
    (
        "file scheme",
        _set("local_system.base_url", "file:///etc/passwd"),
        "$.local_system.base_url",
        "scheme 'file' is not allowed",
        "endpoint-scheme",
    ),
    (
        "not a URL",
        _set("local_system.base_url", "capil.mojokertokota.go.id"),
        "$.local_system.base_url",
        "must be an absolute URL",
        "schema.pattern",
    ),
    # --- connector shape ---
    (
        "unknown connector kind",
        _set("local_system.kind", "grpc"),
        "$.local_system.kind",
        "'grpc' is not one of: rest, sql, soap",
        "schema.enum",
    ),
    (
        "lookup strategy without lookup op",
        _set("local_system.idempotency", {"strategy": "lookup_by_reference"}),
        "$.local_system.operations",
        "missing required field 'lookup'",
        "schema.required",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "path", "message", "rule"), CASES, ids=[c[0] for c in CASES])
def test_rule_reports_exact_problem(
    case: str, mutate: Mutation, path: str, message: str, rule: str, good_doc: dict[str, Any], write_package: Any
) -> None:
    mutate(good_doc)
    report = validate_file(write_package(good_doc))
    found = [(p.path, p.rule, p.message) for p in report.problems]
    assert any(p == path and r == rule and message in m for p, r, m in found), found


def test_the_valid_package_has_no_problem(good_doc: dict[str, Any], write_package: Any) -> None:
    assert validate_file(write_package(good_doc)).problems == []


def test_http_is_allowed_for_loopback(good_doc: dict[str, Any], write_package: Any) -> None:
    for url in ("http://127.0.0.1:8001/api", "http://localhost:9000", "http://[::1]:8000/x"):
        good_doc["local_system"]["base_url"] = url
        assert validate_file(write_package(good_doc)).problems == [], url


def test_file_in_another_regions_folder(good_doc: dict[str, Any], write_package: Any) -> None:
    report = validate_file(write_package(good_doc, folder="35.16"))
    assert [(p.path, p.message) for p in report.problems] == [
        ("$.region", "the file is in folder '35.16/' but its region is '35.76': move it to 35.76/ or fix the region")
    ]


def test_file_name_must_match_slug(good_doc: dict[str, Any], write_package: Any) -> None:
    report = validate_file(write_package(good_doc, name="akta.json"))
    assert [p.message for p in report.problems] == [
        "file name 'akta.json' does not match slug 'akta-kelahiran': name it akta-kelahiran.json"
    ]


def test_draft_outside_a_region_folder_is_not_held_to_folder_rules(good_doc: dict[str, Any], tmp_path: Path) -> None:
    draft = tmp_path / "draf-akta.json"
    draft.write_text(__import__("json").dumps(good_doc), encoding="utf-8")
    assert validate_file(draft).problems == []


def test_problems_never_echo_a_secret_value(good_doc: dict[str, Any]) -> None:
    good_doc["local_system"]["operations"]["submit"]["headers"] = {"X-Api-Key": "sk_live_9f8e7d6c5b4a"}
    problems = check_document(Path("x.json"), good_doc)
    assert problems and all("sk_live" not in p.message for p in problems)


def test_best_match_reports_the_closest_oneof_branch(good_doc: dict[str, Any], write_package: Any) -> None:
    pagination = {"style": "next_link", "next_link": {"body_pth": "links.next"}}
    good_doc["local_system"]["operations"]["status_changes"]["pagination"] = pagination
    report = validate_file(write_package(good_doc))
    first = report.problems[0]
    # the object branch is closest (an object was given), so its errors come, not "must be 'header'"
    assert first.path.endswith("pagination.next_link.body_pth")
    assert first.message == "unknown field 'body_pth'; did you mean 'body_path'?"
    assert all("must be 'header'" not in p.message for p in report.problems)


def test_nested_form_objects_are_followed_by_mappings(good_doc: dict[str, Any], write_package: Any) -> None:
    good_doc["form"]["properties"]["ayah"] = {
        "type": "object",
        "properties": {"nik": {"type": "string", "x-personal-data": "nik"}, "nama": {"type": "string"}},
    }
    body = good_doc["local_system"]["operations"]["submit"]["body"]
    body["ayah.nik"] = "form.ayah.nik"
    assert validate_file(write_package(good_doc)).problems == []
    body["ayah.nama"] = "form.ayah.namaa"
    problems = validate_file(write_package(good_doc)).problems
    assert [p.message for p in problems] == [
        "source 'form.ayah.namaa': form field 'ayah' has no field 'namaa'; did you mean 'nama'?"
    ]


def test_field_paths_are_not_mistaken_for_secrets(good_doc: dict[str, Any], write_package: Any) -> None:
    submit = good_doc["local_system"]["operations"]["submit"]
    submit["reference_path"] = "data[0].application_no"
    good_doc["form"]["properties"]["luas_bangunan_m2"] = {"type": "number"}
    submit["body"]["luas"] = "form.luas_bangunan_m2"
    assert validate_file(write_package(good_doc)).problems == []
