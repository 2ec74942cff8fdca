"""The literal-secret rule and a ``soap`` package's XML names: CamelCase operation, element and parameter
names of 20+ characters (``GetPermohonanStatusByNomor``) are names, not secrets; a random token in the
same fields (digits and letters, base64, hex, or letters without words) is still flagged."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from registry.rules.secrets import identifier_like
from registry.validate import validate_file
from tests.conftest import REPO

SOAP_PACKAGE: dict[str, Any] = json.loads((REPO / "registry/packages/35.08/izin-usaha-mikro.json").read_text())
NS = SOAP_PACKAGE["local_system"]["namespace"]
FLAGGED = "looks like a secret"


def _problems(write_package: Any, change: Any) -> list[tuple[str, str]]:
    doc = copy.deepcopy(SOAP_PACKAGE)
    change(doc["local_system"]["operations"])
    path: Path = write_package(doc)
    return [(p.path, p.message) for p in validate_file(path).problems]


def _long_names(ops: dict[str, Any]) -> None:
    ops["lookup"]["action"] = f"{NS}/GetPermohonanStatusByNomor"
    ops["lookup"]["element"] = "GetPermohonanStatusByNomor"
    ops["lookup"]["reference_path"] = "GetPermohonanStatusByNomorResult.NomorRegistrasi"
    ops["submit"]["action"] = "urn:simpati:AjukanPermohonanIzinUsahaMikro"
    ops["submit"]["element"] = "AjukanPermohonanIzinUsahaMikro"
    feed = ops["status_changes"]
    feed["action"] = "AmbilPerubahanStatusPermohonan"
    feed["element"] = "AmbilPerubahanStatusPermohonan"
    feed["cursor"]["param"] = "SetelahNomorUrutPerubahan"
    feed["size_param"] = "JumlahPerubahanPerHalaman"
    ops["walk_ins"]["element"] = "Ambil_Permohonan_Loket_Terbaru"


def test_long_camelcase_soap_names_are_not_taken_for_secrets(write_package: Any) -> None:
    assert _problems(write_package, _long_names) == []


TOKENS = [
    "q8ZrT4mW9xKp2LvN7bYc3HdF",  # digits and letters
    "QWxhZGRpbjpvcGVuIHNlc2FtZQ",  # base64
    "9f86d081884c7d659a2feaa0c55ad015aB",  # hex (with the letter case a token mixes in)
    "hTqXbVzPwLrKsMnJdFgA",  # letters only, but no words
]


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize(
    ("field", "where"),
    [
        (("lookup", "element"), "$.local_system.operations.lookup.element"),
        (("status_changes", "size_param"), "$.local_system.operations.status_changes.size_param"),
        (("status_changes", "cursor", "param"), "$.local_system.operations.status_changes.cursor.param"),
    ],
    ids=["element", "size_param", "cursor.param"],
)
def test_a_token_in_a_soap_name_field_is_still_flagged(
    write_package: Any, token: str, field: tuple[str, ...], where: str
) -> None:
    def put(ops: dict[str, Any]) -> None:
        node = ops
        for key in field[:-1]:
            node = node[key]
        node[field[-1]] = token

    assert any(path == where and FLAGGED in message for path, message in _problems(write_package, put))


@pytest.mark.parametrize(
    "action",
    [
        "q8ZrT4mW9xKp2LvN7bYc3HdF",
        "urn:simpati:q8ZrT4mW9xKp2LvN7bYc3HdF",
        "GetPermohonanStatusByNomor#QWxhZGRpbjpvcGVuIHNlc2FtZQ",
    ],
)
def test_a_token_in_a_soapaction_is_still_flagged(write_package: Any, action: str) -> None:
    def put(ops: dict[str, Any]) -> None:
        ops["lookup"]["action"] = action

    problems = _problems(write_package, put)
    assert any(p == "$.local_system.operations.lookup.action" and FLAGGED in m for p, m in problems)


def test_camelcase_outside_soap_names_is_judged_as_before(write_package: Any) -> None:
    """A header of a rest package is not an XML name: a CamelCase value there is still flagged."""
    doc = json.loads((REPO / "registry/packages/35.76/akta-kelahiran.json").read_text())
    doc["local_system"]["operations"]["submit"]["headers"] = {"X-Kunci": "GetPermohonanStatusByNomor"}
    problems = [(p.path, p.message) for p in validate_file(write_package(doc)).problems]
    assert any(FLAGGED in message for _, message in problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GetPermohonanStatusByNomor", True),
        ("getNIKStatusByNomor", True),
        ("XMLHTTPRequestPermohonan", True),
        ("Ambil_Status_Terbaru", True),
        ("GetStatus2ByNomor", False),
        ("QpLzXnVbMcTrWsYhGfDe", False),
        ("ABCDEFGHIJKLMNOPQRSTUV", False),
        ("a" * 2000 + "1", False),  # linear: no backtracking blow-up on a long near-miss
    ],
)
def test_identifier_like(text: str, expected: bool) -> None:
    assert identifier_like(text) is expected
