"""What the simulated systems need of the package mapping language beyond evaluating it (evaluation is
``connectors.mapping``, the one definition of how a mapping builds a record: dotted targets nest, nulls
are left out): reading literals and form sources out of expressions, and dotted look-ups."""

from __future__ import annotations

import re
from typing import Any

from connectors.mapping import build_object, search

__all__ = ["build_object", "form_field", "get_dotted", "literal", "search"]

_LITERAL = re.compile(r"^'((?:[^'\\]|\\.)*)'$")
_FORM_FIELD = re.compile(r"^form\.([A-Za-z_][A-Za-z0-9_]*)")


def get_dotted(record: Any, dotted: str) -> Any:
    """The value at ``a.b.c`` in nested dicts, or None."""
    node = record
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def literal(expression: str) -> str | None:
    """The text of a quoted JMESPath literal such as ``'AKTA_LAHIR'``; None for any other expression."""
    match = _LITERAL.match(expression.strip())
    return match.group(1).replace("\\'", "'") if match else None


def form_field(expression: str) -> str | None:
    """The form field an expression starts from (``form.nik_pelapor`` -> ``nik_pelapor``), if any."""
    match = _FORM_FIELD.match(expression.strip())
    return match.group(1) if match else None
