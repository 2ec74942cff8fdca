"""One problem found in one package file, and how its location is written."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

# Identifiers that can be written as `.name` in a JSON path; anything else is written as ['name'].
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")

PathPart = str | int


class Problem(NamedTuple):
    """A fixable problem: where it is (file and JSON path), what is wrong, and which rule said so.

    Immutable and ordered by its fields; a NamedTuple rather than a dataclass because importing
    ``dataclasses`` (and ``inspect``) costs ~5 ms of every ``mpphub validate`` start-up."""

    file: str
    path: str
    message: str
    rule: str

    def as_line(self) -> str:
        """The CLI's one-line form: ``file::$.json.path: message``."""
        return f"{self.file}::{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """The ``--format json`` form."""
        return {"file": self.file, "path": self.path, "message": self.message, "rule": self.rule}


def json_path(parts: Iterable[PathPart]) -> str:
    """Render instance path parts as a JSONPath such as ``$.service.requirements[2].id``."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            out.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out.append(f"['{escaped}']")
    return "".join(out)


def quote(value: object, limit: int = 60) -> str:
    """Show a value from a package in a message, shortened so hostile input cannot flood the output."""
    text = repr(value) if not isinstance(value, str) else "'" + value + "'"
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 3] + "..."
