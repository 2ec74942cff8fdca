"""`mpphub validate` on the answer-envelope fields (issue 18, items 2 and 6): the envelope, errors rules for
in-band failures, page totals; each mistake explained at its path. And an allowed field is never called
unknown with itself as the suggestion (``unknown field 'pagination'; did you mean 'pagination'?``).
The real CLI, in-process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.suggest import did_you_mean

Mutation = Callable[[dict[str, Any]], object]
FEED = ("operations", "status_changes")


def _with_envelope(doc: dict[str, Any]) -> dict[str, Any]:
    """The sample package as a PHP-style local system: HTTP 200 with {"status": false, "message": ...}."""
    local = doc["local_system"]
    local["envelope"] = {"success": "status == `true`", "message": "message"}
    local["errors"] = [
        {"status": "200", "message_contains": "harus diawali", "action": "record"},
        {"status": "200", "message_contains": "api key", "action": "fatal"},
        {"status": "2xx", "message_contains": "sibuk", "action": "retry"},
        *local["errors"],
    ]
    feed = local["operations"]["status_changes"]
    feed["envelope"] = {"success": "kode == '00'", "message": "pesan"}
    feed["pagination"]["total_pages_path"] = "meta.last_page"
    feed["pagination"]["total_count_path"] = "to_number(meta.total)"
    return doc


def _problems(cli: Any, write_package: Any, doc: dict[str, Any]) -> list[tuple[str, str]]:
    result = cli("validate", "--format", "json", write_package(doc))
    assert result.code in (0, 1), result.err
    return [(p["path"], p["message"]) for p in result.json()]


def _at(*keys: str | int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def node(doc: dict[str, Any]) -> dict[str, Any]:
        found: Any = doc["local_system"]
        for key in keys:
            found = found[key]
        return found  # type: ignore[no-any-return]

    return node


def test_a_package_with_an_envelope_rules_and_page_totals_is_valid(
    good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    result = cli("validate", write_package(_with_envelope(good_doc)))
    assert (result.code, result.out) == (0, "1 file checked: all valid\n")


ENVELOPE_MSG = 'envelope must be an object such as {"success": "status == `true`", "message": "message"}'
SUCCESS_MSG = (
    "envelope.success must be a JMESPath predicate over the answer's body that gives true when the request "
    "succeeded, e.g. status == `true`"
)
MESSAGE_MSG = (
    "envelope.message must be a JMESPath expression into the answer's body that gives the local system's "
    "message, e.g. message"
)
CASES: list[tuple[str, Mutation, list[tuple[str, str]]]] = [
    (
        "envelope is not an object",
        lambda d: d["local_system"].update(envelope="status"),
        [("$.local_system.envelope", ENVELOPE_MSG)],
    ),
    (
        "success is missing",
        lambda d: d["local_system"]["envelope"].pop("success"),
        [("$.local_system.envelope", "missing required field 'success'")],
    ),
    (
        "success misspelt",
        lambda d: d["local_system"].update(envelope={"sukses": "status", "message": "message"}),
        [
            ("$.local_system.envelope.sukses", "unknown field 'sukses'; did you mean 'success'?"),
            ("$.local_system.envelope", "missing required field 'success'"),
        ],
    ),
    (
        "success is not text",
        lambda d: d["local_system"]["envelope"].update(success=True),
        [("$.local_system.envelope.success", SUCCESS_MSG)],
    ),
    (
        "success does not compile",
        lambda d: d["local_system"]["envelope"].update(success="status == `true"),
        [
            (
                "$.local_system.envelope.success",
                "invalid JMESPath expression: Bad jmespath expression: Unclosed ` delimiter: status == `true           ^",
            )
        ],
    ),
    (
        "success is text, never true",
        lambda d: d["local_system"]["envelope"].update(success="'true'"),
        [
            (
                "$.local_system.envelope.success",
                "envelope.success 'true' is a text literal, never true: every answer would count as failed; write "
                "a predicate such as status == `true`",
            )
        ],
    ),
    (
        "message of an operation's envelope is empty",
        lambda d: _at(*FEED, "envelope")(d).update(message=""),
        [("$.local_system.operations.status_changes.envelope.message", MESSAGE_MSG)],
    ),
    (
        "message calls an unknown function",
        lambda d: d["local_system"]["envelope"].update(message="upper(message)"),
        [("$.local_system.envelope.message", "invalid JMESPath expression: unknown function upper()")],
    ),
    (
        "an operation's envelope has an unknown field",
        lambda d: _at(*FEED, "envelope")(d).update(pesan="pesan"),
        [
            (
                "$.local_system.operations.status_changes.envelope.pesan",
                "unknown field 'pesan'; allowed: success, message",
            )
        ],
    ),
    (
        "message_contains is empty",
        lambda d: _at("errors", 0)(d).update(message_contains=""),
        [
            (
                "$.local_system.errors[0].message_contains",
                "message_contains must be text of 1 to 200 characters, looked for (ignoring case) in the message "
                "that local_system.envelope.message reads",
            )
        ],
    ),
    (
        "message_contains with no envelope message",
        lambda d: (d["local_system"]["envelope"].pop("message"), _at(*FEED)(d).pop("envelope")),
        [
            (
                f"$.local_system.errors[{i}].message_contains",
                "message_contains can never match: it looks in the envelope's message, and no envelope declares "
                'one; add local_system.envelope.message (e.g. "message")',
            )
            for i in range(3)
        ],
    ),
    (
        "a rule for 2xx answers without any envelope",
        lambda d: (
            d["local_system"].pop("envelope"),
            _at(*FEED)(d).pop("envelope"),
            d["local_system"].update(errors=[{"status": "2xx", "action": "record"}]),
        ),
        [
            (
                "$.local_system.errors[0].status",
                "a rule for HTTP 2xx can never match: a 2xx answer is a failure only when an envelope says so; "
                "declare local_system.envelope (docs/local-systems.md) or remove the rule",
            )
        ],
    ),
    (
        "a rule status that is not text",
        lambda d: _at("errors", 0)(d).update(status=200),
        [
            (
                "$.local_system.errors[0].status",
                "status must be an HTTP status code such as 422 or a class such as 5xx, as text (200 or 2xx match "
                "answers whose envelope says the request failed)",
            )
        ],
    ),
    (
        "total_pages_path is not text",
        lambda d: _at(*FEED, "pagination")(d).update(total_pages_path=3),
        [
            (
                "$.local_system.operations.status_changes.pagination.total_pages_path",
                "total_pages_path must be a JMESPath expression into the answer's body that gives the number of "
                "pages, e.g. meta.last_page",
            )
        ],
    ),
    (
        "total_count_path does not compile",
        lambda d: _at(*FEED, "pagination")(d).update(total_count_path="meta.[total"),
        [
            (
                "$.local_system.operations.status_changes.pagination.total_count_path",
                'invalid JMESPath expression: Invalid jmespath expression: Incomplete expression: "meta.[total"'
                "             ^",
            )
        ],
    ),
    (
        "a page total on a style that has no page numbers",
        lambda d: _at(*FEED)(d).update(
            pagination={"style": "cursor", "cursor_param": "c", "next_cursor_path": "n", "total_pages_path": "x"}
        ),
        [
            (
                "$.local_system.operations.status_changes.pagination.total_pages_path",
                "unknown field 'total_pages_path'; allowed: style, cursor_param, next_cursor_path, size_param, "
                "page_size",
            )
        ],
    ),
]


@pytest.mark.parametrize(("mutation", "expected"), [(m, e) for _, m, e in CASES], ids=[c for c, _, _ in CASES])
def test_each_mistake_in_the_new_fields_is_explained(
    mutation: Mutation, expected: list[tuple[str, str]], good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    doc = _with_envelope(good_doc)
    mutation(doc)
    assert _problems(cli, write_package, doc) == expected


# --- 'did you mean' never suggests the very name it calls unknown ---


def test_a_field_unknown_inside_an_if_then_branch_is_the_only_problem_reported(
    good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    good_doc["local_system"]["operations"]["status_changes"]["pagination"]["total_page_path"] = "meta.last_page"
    problems = _problems(cli, write_package, good_doc)
    # before: also "unknown field 'pagination'; did you mean 'pagination'?", and the same for cursor and fields
    assert problems == [
        (
            "$.local_system.operations.status_changes.pagination.total_page_path",
            "unknown field 'total_page_path'; did you mean 'total_pages_path'?",
        )
    ]


def test_a_missing_required_field_does_not_make_its_siblings_unknown(
    good_doc: dict[str, Any], write_package: Any, cli: Any
) -> None:
    del good_doc["local_system"]["operations"]["status_changes"]["records_path"]
    assert _problems(cli, write_package, good_doc) == [
        ("$.local_system.operations.status_changes", "missing required field 'records_path'")
    ]


def test_a_name_is_never_suggested_for_itself() -> None:
    assert did_you_mean("pagination", ["pagination", "cursor"]) == ""
    assert did_you_mean("paginaton", ["pagination", "cursor"]) == "; did you mean 'pagination'?"
