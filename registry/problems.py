"""One problem found in one package file, and how its location is written."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Identifiers that can be written as `.name` in a JSON path; anything else is written as ['name'].
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")

PathPart = str | int
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class Problem:
    """A fixable problem: where it is (file and JSON path), what is wrong, and which rule said so.

    Immutable, compared and ordered by its fields. Written out rather than a dataclass or NamedTuple:
    importing ``dataclasses`` costs ~5 ms and creating a NamedTuple class ~0.3 ms of every
    ``mpphub validate`` start-up (target 50 ms)."""

    __slots__ = ("file", "message", "path", "rule")
    file: str
    path: str
    message: str
    rule: str

    def __init__(self, file: str, path: str, message: str, rule: str) -> None:
        for name, value in (("file", file), ("path", path), ("message", message), ("rule", rule)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Problem is immutable: cannot set {name}")

    def __reduce__(self) -> tuple[type[Problem], tuple[str, str, str, str]]:
        return (Problem, self._fields())  # worker processes send problems back pickled

    def _fields(self) -> tuple[str, str, str, str]:
        return (self.file, self.path, self.message, self.rule)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and self._fields() == other._fields()

    def __lt__(self, other: Problem) -> bool:
        return self._fields() < other._fields()

    def __le__(self, other: Problem) -> bool:
        return self._fields() <= other._fields()

    def __gt__(self, other: Problem) -> bool:
        return self._fields() > other._fields()

    def __ge__(self, other: Problem) -> bool:
        return self._fields() >= other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Problem(file={!r}, path={!r}, message={!r}, rule={!r})".format(*self._fields())

    def as_line(self) -> str:
        """The CLI's one-line form: ``file::$.json.path: message``. Control characters a hostile package
        put in a key or value are escaped: one problem stays one line and cannot forge others."""
        return _escape_controls(f"{self.file}::{self.path}: {self.message}")

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
