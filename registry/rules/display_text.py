"""Names shown on a terminal hold no line breaks and no bidirectional controls.

The catalogue, ``mpphub status``, the dashboard and the national layer print a package's names (the
service name, the agency, requirement and output names...: every ``short_text`` of the package
schema). A CR or LF there forges extra output lines; a bidi control (U+202E RIGHT-TO-LEFT OVERRIDE...)
makes a name read differently from what it is ("Trojan Source"). Descriptions may span lines, but
they get no bidi controls either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from registry.problems import PathPart
from registry.rules.access import as_dict, as_list
from registry.rules.context import Finding, PackageContext

# CR, LF and the Unicode bidirectional formatting characters (embeddings, overrides, isolates, marks)
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f"
_NAME_CONTROLS = re.compile(f"[\r\n{_BIDI}]")
_TEXT_CONTROLS = re.compile(f"[{_BIDI}]")


def _names(doc: dict[str, Any]) -> Iterator[tuple[tuple[PathPart, ...], Any]]:
    """Every one-line display name of the package (the schema's ``short_text`` fields)."""
    service = as_dict(doc.get("service"))
    for lang, text in as_dict(service.get("name")).items():
        yield ("service", "name", lang), text
    yield ("service", "agency"), service.get("agency")
    for index, text in enumerate(as_list(service.get("legal_basis"))):
        yield ("service", "legal_basis", index), text
    for index, text in enumerate(as_list(service.get("outputs"))):
        yield ("service", "outputs", index), text
    yield ("service", "fee", "legal_basis"), as_dict(service.get("fee")).get("legal_basis")
    for index, requirement in enumerate(as_list(service.get("requirements"))):
        yield ("service", "requirements", index, "name"), as_dict(requirement).get("name")
    yield ("local_system", "name"), as_dict(doc.get("local_system")).get("name")
    yield ("contact", "unit"), as_dict(doc.get("contact")).get("unit")
    for name, field in as_dict(as_dict(doc.get("form")).get("properties")).items():
        yield ("form", "properties", name, "title"), as_dict(field).get("title")


def _describe(char: str) -> str:
    import unicodedata  # only problems need it: kept off the start-up path of valid packages

    name = unicodedata.name(char, "")
    if char == "\r":
        name = "CARRIAGE RETURN"
    elif char == "\n":
        name = "LINE FEED"
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def check_display_text(ctx: PackageContext) -> Iterator[Finding]:
    """No CR, LF or bidi control in a display name; no bidi control in a description."""
    for path, text in _names(ctx.doc):
        if isinstance(text, str):
            match = _NAME_CONTROLS.search(text)
            if match:
                yield Finding(
                    path,
                    f"name holds {_describe(match.group())}: names are shown on terminals and must be one "
                    "line without bidirectional control characters; remove it",
                )
    for lang, text in as_dict(as_dict(ctx.doc.get("service")).get("description")).items():
        if isinstance(text, str):
            match = _TEXT_CONTROLS.search(text)
            if match:
                yield Finding(
                    ("service", "description", lang),
                    f"description holds {_describe(match.group())}: bidirectional control characters make "
                    "text read differently from what it is; remove it",
                )
