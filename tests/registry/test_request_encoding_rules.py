"""`mpphub validate` on request encodings (issue 18, item 1): ``body_encoding``, ``form_nesting``,
``attachments.mode: form_files``, bracket body target names, and the ``request-encoding`` rule; each
mistake explained at its path. The real CLI, in-process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Mutation = Callable[[dict[str, Any]], object]
AT = "$.local_system.operations.submit"
NAME_HINT = (
    "a body field name is a name (pelapor_nik), a dotted path (pelapor.nik) or a bracket name (pelapor[nik], "
    "berkas[0][nama]): letters, digits, _ and -, every [ closed by ], no empty [] and no dot in a bracket name"
)


def _submit(doc: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = doc["local_system"]["operations"]["submit"]
    return found


def _as_form(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The sample package posting a PHP-style form: bracket names, a fitting Content-Type with a charset."""
    op = _submit(doc)
    op["body_encoding"] = "form"
    op["body"] = {
        "pemohon[nik]": "form.nik_pelapor",
        "pemohon[nama]": "form.nama_pelapor",
        "berkas[0][jenis]": "'KK'",
        "anak.nama": "form.nama_anak",
        "jenis_layanan": "'AKTA_LAHIR'",
    }
    op["headers"] = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    op.update(changes)
    return doc


def _problems(cli: Any, write_package: Any, doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    result = cli("validate", "--format", "json", write_package(doc))
    assert result.code in (0, 1), result.err
    return [(p["path"], p["message"], p["rule"]) for p in result.json()]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"form_nesting": "dots"},
        {
            "body_encoding": "multipart",
            "headers": {},
            "attachments": {"mode": "form_files", "field": "berkas[{index}]"},
        },
        {"body_encoding": "multipart", "headers": {}, "attachments": {"mode": "inline_base64"}},
        {"body_encoding": "json", "headers": {"content-type": "application/json; charset=utf-8"}},
        {"body_encoding": "json", "headers": {"Content-Type": "application/vnd.simpel+json"}},
    ],
)
def test_bracket_names_and_every_encoding_validate(
    good_doc: dict[str, Any], write_package: Any, cli: Any, changes: dict[str, Any]
) -> None:
    result = cli("validate", write_package(_as_form(good_doc, **changes)))
    assert (result.code, result.out) == (0, "1 file checked: all valid\n")


CASES: list[tuple[str, Mutation, list[tuple[str, str, str]]]] = [
    (
        "unknown encoding name",
        lambda d: _submit(d).update(body_encoding="xml"),
        [(f"{AT}.body_encoding", "'xml' is not one of: json, form, multipart", "schema.enum")],
    ),
    (
        "encoding name misspelt",
        lambda d: _submit(d).update(body_encoding="from"),
        [(f"{AT}.body_encoding", "'from' is not one of: json, form, multipart; did you mean 'form'?", "schema.enum")],
    ),
    (
        "unknown nesting",
        lambda d: _submit(d).update(form_nesting="php"),
        [(f"{AT}.form_nesting", "'php' is not one of: brackets, dots", "schema.enum")],
    ),
    (
        "unknown attachments mode",
        lambda d: _submit(d).update(attachments={"mode": "files"}),
        [
            (
                f"{AT}.attachments.mode",
                "'files' is not one of: inline_base64, multipart, form_files; did you mean 'form_files'?",
                "schema.enum",
            )
        ],
    ),
    (
        "an unclosed bracket name",
        lambda d: _submit(d)["body"].update({"a[": "form.nama_anak"}),
        [(f"{AT}.body['a[']", f"bad name 'a[': {NAME_HINT}", "schema.property-name")],
    ),
    (
        "an empty bracket",
        lambda d: _submit(d)["body"].update({"berkas[]": "form.nama_anak"}),
        [(f"{AT}.body['berkas[]']", f"bad name 'berkas[]': {NAME_HINT}", "schema.property-name")],
    ),
    (
        "a dot inside a bracket name",
        lambda d: _submit(d)["body"].update({"pemohon[data.nik]": "form.nik_pelapor"}),
        [(f"{AT}.body['pemohon[data.nik]']", f"bad name 'pemohon[data.nik]': {NAME_HINT}", "schema.property-name")],
    ),
    (
        "a fixed JSON Content-Type on a form body",
        lambda d: _submit(d).update(headers={"Content-Type": "application/json"}),
        [
            (
                f"{AT}.headers.Content-Type",
                "Content-Type 'application/json' contradicts body_encoding 'form': the hub sends "
                "application/x-www-form-urlencoded; remove the header (the Content-Type follows body_encoding) or "
                "declare the body_encoding the local system reads",
                "request-encoding",
            )
        ],
    ),
    (
        "a fixed form Content-Type on a JSON body (any spelling of the header)",
        lambda d: _submit(d).update(
            body_encoding="json", headers={"content-TYPE": "application/x-www-form-urlencoded"}
        ),
        [
            (
                f"{AT}.headers.content-TYPE",
                "Content-Type 'application/x-www-form-urlencoded' contradicts body_encoding 'json': the hub sends "
                "application/json; remove the header (the Content-Type follows body_encoding) or declare the "
                "body_encoding the local system reads",
                "request-encoding",
            )
        ],
    ),
    (
        "any fixed Content-Type on a multipart body",
        lambda d: _submit(d).update(body_encoding="multipart", headers={"Content-Type": "multipart/form-data"}),
        [
            (
                f"{AT}.headers.Content-Type",
                "a fixed Content-Type cannot go with body_encoding 'multipart': its boundary is chosen for each "
                "request; remove the header (the hub sends multipart/form-data with the boundary)",
                "request-encoding",
            )
        ],
    ),
    (
        "form files without a multipart body",
        lambda d: _submit(d).update(attachments={"mode": "form_files"}),
        [
            (
                f"{AT}.attachments.mode",
                "attachments.mode 'form_files' sends the files as parts of a multipart form, and body_encoding is "
                "'form'; declare body_encoding 'multipart' (or use mode inline_base64 or multipart)",
                "request-encoding",
            )
        ],
    ),
    (
        "form_nesting on a JSON body",
        lambda d: _submit(d).update(body_encoding="json", headers={}, form_nesting="dots"),
        [
            (
                f"{AT}.form_nesting",
                "form_nesting applies to form and multipart bodies only, and body_encoding is 'json'; remove it or "
                "declare body_encoding 'form' or 'multipart'",
                "request-encoding",
            )
        ],
    ),
    (
        "a bracket and a dotted target sending the same form field",
        lambda d: _submit(d)["body"].update({"anak[nama]": "form.nama_anak"}),
        [
            (
                f"{AT}.body['anak[nama]']",
                "body targets 'anak.nama' and 'anak[nama]' both send the field 'anak[nama]': one would overwrite "
                "the other; keep one",
                "request-encoding",
            )
        ],
    ),
    (
        "a bracket and a dotted target naming the same JSON field",
        lambda d: _submit(d).update(body_encoding="json", headers={}, body={"a.b": "form.nama_anak", "a[b]": "'x'"}),
        [
            (
                f"{AT}.body['a[b]']",
                "body targets 'a.b' and 'a[b]' both send the field 'a.b': one would overwrite the other; keep one",
                "request-encoding",
            )
        ],
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_is_explained_at_its_path(
    good_doc: dict[str, Any], write_package: Any, cli: Any, mutate: Mutation, expected: list[tuple[str, str, str]]
) -> None:
    doc = _as_form(good_doc)
    mutate(doc)
    assert _problems(cli, write_package, doc) == expected


def test_the_form_nesting_decides_whether_targets_collide(
    good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    # with dots, anak.nama and anak[nama] are two fields of their own (the bracket one is sent verbatim)
    doc = _as_form(good_doc, form_nesting="dots")
    _submit(doc)["body"]["anak[nama]"] = "form.nama_anak"
    assert _problems(cli, write_package, doc) == []


def test_bracket_names_stay_refused_where_they_mean_nothing(
    good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    # the bracket form is for request bodies; a walk-in's national form fields keep plain names
    doc = good_doc
    doc["local_system"]["operations"]["walk_ins"] = {
        **doc["local_system"]["operations"]["status_changes"],
        "form": {"nama_anak[x]": "nama"},
    }
    problems = _problems(cli, write_package, doc)
    assert ("$.local_system.operations.walk_ins.form['nama_anak[x]']", "schema.property-name") in [
        (p, r) for p, _, r in problems
    ]
