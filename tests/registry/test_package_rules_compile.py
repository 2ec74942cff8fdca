"""Issue 16's smaller holes in the validator: what would fail at sync fails ``mpphub validate`` instead
(forms that do not compile, JMESPath functions that do not exist), the documented OAuth2 auth is not
taken for a literal secret, and names shown on a terminal hold no line breaks or bidi controls."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from registry.rules.form_patterns import pattern_problem
from registry.validate import validate_file

SUBMIT = ("local_system", "operations", "submit")


def _problems(doc: dict[str, Any], write_package: Any) -> list[tuple[str, str, str]]:
    return [(p.path, p.rule, p.message) for p in validate_file(write_package(doc)).problems]


# --- forms that cannot compile ---


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("([a-", "pattern '([a-' is not a valid regular expression: the form would not compile at sync"),
        ("^a{1000000}$", "pattern repeats 1000000 times ({1000000}): repetition bounds are limited to 1000"),
        ("^[0-9]{2,5000}$", "pattern repeats 5000 times ({2,5000}): repetition bounds are limited to 1000"),
        ("\\Z", "pattern '\\\\Z' is not a valid regular expression"),  # Python compiles it, the hub does not
    ],
)
def test_a_form_pattern_that_cannot_compile_fails_validate(
    pattern: str, message: str, good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    good_doc["form"]["properties"]["nama_anak"]["pattern"] = pattern
    problems = _problems(good_doc, write_package)
    assert [(p, r) for p, r, _ in problems] == [("$.form.properties.nama_anak.pattern", "form-pattern")], problems
    assert message in problems[0][2]
    result = cli("validate", write_package(good_doc))
    assert result.code == 1
    assert "akta-kelahiran.json::$.form.properties.nama_anak.pattern: pattern" in result.out


def test_pattern_properties_names_are_patterns_too(good_doc: dict[str, Any], write_package: Any) -> None:
    good_doc["form"]["properties"]["lampiran"] = {"type": "object", "patternProperties": {"([a-": {"type": "string"}}}
    assert _problems(good_doc, write_package) == [
        (
            "$.form.properties.lampiran.patternProperties['([a-']",
            "form-pattern",
            "pattern '([a-' is not a valid regular expression: the form would not compile at sync",
        )
    ]


def test_a_field_named_pattern_is_not_a_pattern(good_doc: dict[str, Any], write_package: Any) -> None:
    good_doc["form"]["properties"]["pattern"] = {"type": "string", "title": "Motif batik ([a-"}
    assert _problems(good_doc, write_package) == []


@pytest.mark.parametrize(
    "pattern",
    ["^[0-9]{16}$", "^\\p{L}+$", "^(?:ab|cd){1,1000}$", "^[A-Z]{2}-\\d{4}$", "(?<=a)b", "^[^]]+$", "x{"],
)
def test_patterns_the_hub_compiles_are_accepted(pattern: str) -> None:
    try:
        jsonschema_rs.validator_for({"pattern": pattern}, offline=True)
    except jsonschema_rs.ValidationError:
        assert pattern_problem(pattern) is not None  # the rule agrees with the engine the sync uses
    else:
        assert pattern_problem(pattern) is None


def test_a_dangling_form_reference_fails_validate(good_doc: dict[str, Any], write_package: Any) -> None:
    good_doc["form"]["$defs"] = {"nama": {"type": "string", "maxLength": 100}}
    good_doc["form"]["properties"]["nama_ayah"] = {"$ref": "#/$defs/nama"}
    assert _problems(good_doc, write_package) == []
    good_doc["form"]["properties"]["nama_ibu"] = {"$ref": "#/$defs/missing"}
    good_doc["form"]["properties"]["alamat"] = {"$ref": "#alamat"}
    assert _problems(good_doc, write_package) == [
        (
            "$.form.properties.nama_ibu.$ref",
            "form-reference-local",
            "reference '#/$defs/missing' points at nothing in the form: the form would not compile; add the "
            "definition (e.g. under $defs) or fix the reference",
        ),
        (
            "$.form.properties.alamat.$ref",
            "form-reference-local",
            "reference '#alamat' names no $anchor of the form: the form would not compile",
        ),
    ]
    # what the sync would have met: the form does not compile
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validator_for(good_doc["form"], offline=True)


# --- JMESPath functions ---


@pytest.mark.parametrize(
    ("where", "expression", "message"),
    [
        (
            (*SUBMIT, "body", "x"),
            "foo(form.nama_anak)",
            "invalid JMESPath expression: unknown function foo(); did you mean 'floor'?",
        ),
        (
            ("local_system", "operations", "status_changes", "fields", "reference"),
            "foo(bar)",
            "invalid JMESPath expression: unknown function foo(); did you mean 'floor'?",
        ),
        ((*SUBMIT, "body", "x"), "upper(form.nama_anak)", "invalid JMESPath expression: unknown function upper()"),
        (
            (*SUBMIT, "body", "x"),
            "join(form.nama_anak)",
            "invalid JMESPath expression: function join() takes 2 argument(s), not 1",
        ),
        ((*SUBMIT, "reference_path"), "data.[", "invalid JMESPath expression: "),
    ],
)
def test_unknown_jmespath_functions_fail_validate(
    where: tuple[str, ...], expression: str, message: str, good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    node: Any = good_doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = expression
    problems = _problems(good_doc, write_package)
    path = "$." + ".".join(where)
    assert [(p, r) for p, r, _ in problems] == [(path, "mapping-source")], problems
    assert problems[0][2].startswith(message)
    result = cli("validate", write_package(good_doc))
    assert result.code == 1 and f"akta-kelahiran.json::{path}: invalid JMESPath expression" in result.out


def test_known_functions_with_the_right_arguments_pass(good_doc: dict[str, Any], write_package: Any) -> None:
    body = good_doc["local_system"]["operations"]["submit"]["body"]
    body["nama_lengkap"] = "join(' ', [form.nama_anak, application.id])"
    body["jumlah"] = "length(application.attachments)"
    body["pertama"] = "not_null(form.nama_anak, form.nik_pelapor)"
    assert _problems(good_doc, write_package) == []


# --- oauth2_client_credentials is not a literal secret ---


def test_oauth2_client_credentials_is_not_a_literal_secret(
    good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    good_doc["local_system"]["auth"] = {
        "type": "oauth2_client_credentials",
        "token_url": "https://sso.mojokertokota.go.id/oauth2/token",
        "client_id_ref": "R3576_DISPENDUK_CLIENT_ID",
        "client_secret_ref": "R3576_DISPENDUK_CLIENT_SECRET",
        "scopes": ["permohonan.write", "status.read"],
    }
    assert _problems(good_doc, write_package) == []
    assert cli("validate", write_package(good_doc)).code == 0


def test_a_token_url_with_credentials_is_still_refused(good_doc: dict[str, Any], write_package: Any) -> None:
    good_doc["local_system"]["auth"] = {
        "type": "oauth2_client_credentials",
        "token_url": "https://klien:rahasia-sekali@sso.mojokertokota.go.id/oauth2/token",
        "client_id_ref": "R3576_DISPENDUK_CLIENT_ID",
        "client_secret_ref": "R3576_DISPENDUK_CLIENT_SECRET",
    }
    assert ("$.local_system.auth.token_url", "literal-secret") in [
        (p, r) for p, r, _ in _problems(good_doc, write_package)
    ]


# --- names shown on a terminal ---


@pytest.mark.parametrize(
    ("where", "char", "shown"),
    [
        (("service", "name", "en"), "\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        (("service", "agency"), "\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        (("service", "agency"), "\r", "U+000D (CARRIAGE RETURN)"),
        (("service", "name", "id"), "\n", "U+000A (LINE FEED)"),
        (("contact", "unit"), "\u200f", "U+200F (RIGHT-TO-LEFT MARK)"),
        (("service", "requirements", 0, "name"), "\u202a", "U+202A (LEFT-TO-RIGHT EMBEDDING)"),
        (("service", "outputs", 0), "\u2069", "U+2069 (POP DIRECTIONAL ISOLATE)"),
    ],
)
def test_names_shown_on_a_terminal_refuse_line_breaks_and_bidi_controls(
    where: tuple[str | int, ...], char: str, shown: str, good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    node: Any = good_doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = f"Dinas{char}Kota Mojokerto"
    problems = _problems(good_doc, write_package)
    assert [r for _, r, _ in problems] == ["display-text"], problems
    assert problems[0][2].startswith(f"name holds {shown}: names are shown on terminals")
    result = cli("validate", write_package(good_doc))
    assert result.code == 1 and f"akta-kelahiran.json::{problems[0][0]}: name holds {shown}" in result.out
    assert char not in result.out.replace("\n", "")  # the output lines are its own


def test_bidi_controls_are_refused_in_descriptions(good_doc: dict[str, Any], write_package: Any) -> None:
    good_doc["service"]["description"]["id"] = "Baris satu.\nBaris dua."
    assert _problems(good_doc, write_package) == []
    good_doc["service"]["description"]["id"] = "Gratis\u202e 000.051 pR"
    assert _problems(good_doc, write_package) == [
        (
            "$.service.description.id",
            "display-text",
            "description holds U+202E (RIGHT-TO-LEFT OVERRIDE): bidirectional control characters make text read "
            "differently from what it is; remove it",
        )
    ]
