"""Answer envelopes and the ``errors`` rules that read them: a rule that can never match is a mistake.

A 2xx answer is a failure only when the package declares an envelope (``local_system.envelope`` or an
operation's own) and its ``success`` predicate does not give true; ``message_contains`` looks in the
message the envelope's ``message`` reads (docs/local-systems.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.rules.access import as_dict, as_list
from registry.rules.context import Finding, PackageContext


def check_envelopes(ctx: PackageContext) -> Iterator[Finding]:
    """Every errors rule for 2xx answers or with message_contains has an envelope to read; every success
    predicate can give true."""
    local = as_dict(ctx.doc.get("local_system"))
    envelopes = _envelopes(local)
    for where, envelope in envelopes:
        success = envelope.get("success")
        if isinstance(success, str) and _is_text_literal(success):
            yield Finding(
                (*where, "success"),
                f"envelope.success {success} is a text literal, never true: every answer would count as failed; "
                "write a predicate such as status == `true`",
            )
    # an envelope of the wrong shape is the schema's complaint: nothing more is said about the rules then
    malformed = _malformed(local)
    with_message = malformed or any(isinstance(e.get("message"), str) for _, e in envelopes)
    # a soap system's Fault inside a 200 is what its 2xx rules match: no envelope needed there
    soap = local.get("kind") == "soap"
    for index, rule in enumerate(as_list(local.get("errors"))):
        rule = as_dict(rule)
        status = rule.get("status")
        if isinstance(status, str) and status.startswith("2") and not envelopes and not malformed and not soap:
            yield Finding(
                ("local_system", "errors", index, "status"),
                f"a rule for HTTP {status} can never match: a 2xx answer is a failure only when an envelope says "
                "so; declare local_system.envelope (docs/local-systems.md) or remove the rule",
            )
        if isinstance(rule.get("message_contains"), str) and not with_message:
            yield Finding(
                ("local_system", "errors", index, "message_contains"),
                "message_contains can never match: it looks in the envelope's message, and no envelope declares "
                'one; add local_system.envelope.message (e.g. "message")',
            )


def _envelopes(local: dict[str, Any]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path, envelope) of the local system's envelope and of each operation's own."""
    found: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    if isinstance(local.get("envelope"), dict):
        found.append((("local_system", "envelope"), local["envelope"]))
    for name, op in as_dict(local.get("operations")).items():
        envelope = as_dict(op).get("envelope")
        if isinstance(envelope, dict):
            found.append((("local_system", "operations", str(name), "envelope"), envelope))
    return found


def _malformed(local: dict[str, Any]) -> bool:
    """Whether an envelope is declared but is not an object (the schema reports it)."""
    declared = [
        local.get("envelope"),
        *(as_dict(op).get("envelope") for op in as_dict(local.get("operations")).values()),
    ]
    return any(e is not None and not isinstance(e, dict) for e in declared)


def _is_text_literal(expression: str) -> bool:
    """A raw string literal ('true') or a JSON string literal (`"ok"`): text, which is never true."""
    text = expression.strip()
    return (len(text) >= 2 and text[0] == text[-1] == "'") or (text.startswith('`"') and text.endswith('"`'))
