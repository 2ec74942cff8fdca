"""Read one package file safely: size, encoding, JSON syntax, duplicate keys and nesting are checked
before any rule sees the document, so hostile input gets one clear error and never a traceback."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64

# Strings (with escapes) and every character that is not a bracket: removing them leaves the bracket skeleton.
_NOT_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[^\[\]{}]+', re.DOTALL)
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


class DocumentError(Exception):
    """The file cannot be read as a JSON object; the message says why, for a person to fix."""


class Document:
    """A parsed package file (a plain class: a dataclass or NamedTuple costs start-up time)."""

    __slots__ = ("data", "path", "raw")

    def __init__(self, path: Path, data: dict[str, Any], raw: bytes) -> None:
        self.path = path
        self.data = data
        self.raw = raw


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (use a number or null)")


def nesting_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when brackets nest deeper than ``limit``.

    Checked on the text before parsing, with C-speed regex passes that each strip the innermost
    bracket pairs, so a hostile file cannot make the parser recurse and a normal one costs ~10 passes.
    """
    skeleton = _NOT_BRACKETS.sub("", text)
    for _ in range(limit):
        if not skeleton:
            return False
        reduced = _INNERMOST_PAIR.sub("", skeleton)
        if reduced == skeleton:  # unbalanced: the JSON parser reports it with a position
            return False
        skeleton = reduced
    return bool(skeleton) and _INNERMOST_PAIR.search(skeleton) is not None


def _read_limited(path: Path) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DocumentError("file not found") from None
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise DocumentError("not a regular file")
    if st.st_size > MAX_BYTES:
        raise DocumentError(f"file is {st.st_size / MAX_BYTES:.1f} MiB; a package may be at most 1 MiB")
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:  # grew after stat
        raise DocumentError("file is over 1 MiB; a package may be at most 1 MiB")
    return raw


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DocumentError(
            f"not UTF-8 text: invalid byte 0x{raw[exc.start]:02x} at line {line} (byte offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def _comment_at(text: str, pos: int) -> tuple[str, int]:
    """``// comment`` or ``/* */ comment`` and where it starts, when the parser stopped at a comment (JSONC,
    as editors and READMEs show packages, is not JSON); else an empty string."""
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return {"//": "// comment", "/*": "/* */ comment"}.get(text[pos : pos + 2], ""), pos


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse JSON text that must hold one object; raise DocumentError with a position on any problem."""
    if not text.strip():
        raise DocumentError("file is empty; a package is one JSON object")
    if nesting_exceeds(text):
        raise DocumentError(f"JSON nests deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _DuplicateKeyError as exc:
        raise DocumentError(
            f"duplicate key {json.dumps(exc.key)[:80]}: each key may appear once in an object"
        ) from None
    except json.JSONDecodeError as exc:
        comment, at = _comment_at(text, exc.pos)
        if comment:
            line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
            raise DocumentError(
                f"comments are not allowed in JSON: remove the {comment} at line {line} column {column}"
            ) from None
        raise DocumentError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise DocumentError(f"JSON nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # NaN/Infinity, or an integer with thousands of digits
        raise DocumentError(f"invalid JSON: {str(exc)[:120]}") from None
    try:
        # a \ud800-style escape without its pair parses, but is no Unicode character: every later step
        # (the schema engine, printing the problem) would fail on it
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        raise DocumentError(
            f"invalid JSON: the escape \\u{code:04x} is half of a surrogate pair, not a character"
        ) from None
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(data), "a number")
        raise DocumentError(f"top level is {kind}; a package must be one JSON object {{...}}")
    return data


def load_document(path: Path) -> Document:
    """Read and parse one package file; raise DocumentError with a one-line reason."""
    raw = _read_limited(path)
    return Document(path=path, data=parse_json_object(_decode(raw)), raw=raw)
