"""`mpphub validate` on ``errors[].fault_code``: a SOAP fault code without its prefix, only in a soap
package; a soap package's 2xx rules need no envelope (they match a Fault inside a 200). The real CLI,
in-process."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import REPO

SOAP_PACKAGE: dict[str, Any] = json.loads((REPO / "registry/packages/35.08/izin-usaha-mikro.json").read_text())
FAULT_CODE_MSG = (
    "fault_code must be a SOAP fault code without its namespace prefix, such as Client, Server or "
    "Client.Duplicate (not soap:Client: the prefix is the system's choice)"
)


def _problems(cli: Any, write_package: Any, doc: dict[str, Any]) -> list[tuple[str, str]]:
    result = cli("validate", "--format", "json", write_package(doc))
    assert result.code in (0, 1), result.err
    return [(p["path"], p["message"]) for p in result.json()]


def _soap(*rules: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(SOAP_PACKAGE)
    doc["local_system"]["errors"] = list(rules)
    return doc


def test_the_soap_sample_names_its_client_fault_by_code() -> None:
    assert SOAP_PACKAGE["local_system"]["errors"] == [{"status": "500", "fault_code": "Client", "action": "record"}]


@pytest.mark.parametrize(
    "rules",
    [
        [{"status": "500", "fault_code": "Client.Duplicate", "action": "record"}],
        [{"status": "5xx", "fault_code": "Server", "action": "retry"}],
        # a fault inside a 200: matched by the answer's status, no envelope needed in a soap package
        [{"status": "200", "fault_code": "Server", "action": "retry"}, {"status": "2xx", "action": "fatal"}],
    ],
    ids=["dotted-subcode", "class-status", "fault-inside-200"],
)
def test_fault_code_rules_a_soap_package_may_declare(cli: Any, write_package: Any, rules: list[Any]) -> None:
    assert _problems(cli, write_package, _soap(*rules)) == []


@pytest.mark.parametrize(
    "code", ["soap:Client", "SOAP-ENV:Server", "", "Client.", ".Client", "Client Server", "1Client", "x" * 101]
)
def test_a_fault_code_that_is_not_a_bare_code_is_refused(cli: Any, write_package: Any, code: str) -> None:
    doc = _soap({"status": "500", "fault_code": code, "action": "record"})
    assert _problems(cli, write_package, doc) == [("$.local_system.errors[0].fault_code", FAULT_CODE_MSG)]


def test_fault_code_in_a_rest_package_can_never_match(cli: Any, write_package: Any, good_doc: dict[str, Any]) -> None:
    good_doc["local_system"]["errors"].append({"status": "500", "fault_code": "Client", "action": "record"})
    index = len(good_doc["local_system"]["errors"]) - 1
    assert _problems(cli, write_package, good_doc) == [
        (
            f"$.local_system.errors[{index}].fault_code",
            "fault_code can never match: a rest system answers no SOAP Fault; "
            "match its answers by status, body_contains or message_contains",
        )
    ]
