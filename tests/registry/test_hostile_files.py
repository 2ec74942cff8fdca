"""Hostile or broken files: each gets one clear line from `mpphub validate`, exit 1, and never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

DEEP = "[" * 65 + "]" * 65
VERY_DEEP = "[" * 100_000 + "]" * 100_000

CASES: list[tuple[str, bytes, str]] = [
    ("empty file", b"", "file is empty; a package is one JSON object"),
    ("only whitespace", b"  \n\t ", "file is empty; a package is one JSON object"),
    ("invalid JSON", b'{"id": "35.76/x",\n  "version": }', "invalid JSON at line 2 column 14: Expecting value"),
    ("trailing comma", b'{"a": 1,}', "invalid JSON at line 1 column 9"),
    (
        "not UTF-8",
        b'{"nama": "Caf\xe9"}',
        "not UTF-8 text: invalid byte 0xe9 at line 1 (byte offset 13); save the file as UTF-8",
    ),
    (
        "duplicate key",
        b'{"id": "35.76/a", "id": "35.76/b"}',
        'duplicate key "id": each key may appear once in an object',
    ),
    ("nested duplicate key", b'{"service": {"fee": 1, "fee": 2}}', 'duplicate key "fee"'),
    ("array at top level", b"[1, 2, 3]", "top level is an array; a package must be one JSON object {...}"),
    ("string at top level", b'"paket"', "top level is a string; a package must be one JSON object {...}"),
    ("number at top level", b"42", "top level is a number; a package must be one JSON object {...}"),
    ("nesting over 64", DEEP.encode(), "JSON nests deeper than 64 levels"),
    ("nesting of 100,000", VERY_DEEP.encode(), "JSON nests deeper than 64 levels"),
    ("NaN literal", b'{"a": NaN}', "invalid JSON: NaN is not valid JSON"),
    ("huge integer", b'{"a": ' + b"9" * 5000 + b"}", "invalid JSON: Exceeds the limit"),
    (
        "lone surrogate escape",
        b'{"id": "35.76/x", "\\ud800": "\\udfff"}',
        "invalid JSON: the escape \\ud800 is half of a surrogate pair, not a character",
    ),
    ("nesting of 10,000", b"[" * 10_000 + b"]" * 10_000, "JSON nests deeper than 64 levels"),
]


@pytest.mark.parametrize(("case", "content", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file_gets_one_clear_line(case: str, content: bytes, message: str, tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "paket.json"
    path.write_bytes(content)
    result = cli("validate", path)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{path}::$: ")
    assert message in lines[0]
    assert lines[1:] == ["1 problem in 1 of 1 file"]
    assert "Traceback" not in result.out + result.err


def test_file_over_one_mib(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "besar.json"
    path.write_bytes(b'{"x": "' + b"a" * (1024 * 1024) + b'"}')
    result = cli("validate", path)
    assert result.code == 1
    assert "file is 1.0 MiB; a package may be at most 1 MiB" in result.out


def test_file_of_ten_mib_is_refused_before_it_is_read(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "raksasa.json"
    with path.open("wb") as out:
        out.write(b'{"x": "')
        out.truncate(10 * 1024 * 1024)  # sparse: 10 MiB on paper, nothing to write
    result = cli("validate", path)
    assert result.code == 1
    assert "file is 10.0 MiB; a package may be at most 1 MiB" in result.out


def test_deep_but_allowed_nesting_is_parsed(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "dalam.json"
    path.write_text('{"a": ' + "[" * 60 + "]" * 60 + "}")
    result = cli("validate", path, "--format", "json")
    assert result.code == 1
    assert all(p["rule"] != "file" for p in result.json())  # parsed; only schema problems remain


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "teks.json"
    path.write_text(json.dumps({"x": "[" * 200 + '\\"{' * 50}))
    result = cli("validate", path, "--format", "json")
    assert all("nests deeper" not in p["message"] for p in result.json())


def test_fifo_is_refused_without_blocking(tmp_path: Path, cli: Any) -> None:
    fifo = tmp_path / "pipa.json"
    os.mkfifo(fifo)
    result = cli("validate", fifo)
    assert result.code == 1
    assert "not a regular file" in result.out


def test_unreadable_file(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rahasia.json"
    path.write_text("{}")
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:  # root may read anything, so the permission error is simulated
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    result = cli("validate", path)
    assert result.code == 1
    assert result.out.splitlines()[0] == f"{path}::$: cannot read: Permission denied"


def test_symlink_loop_is_reported(tmp_path: Path, cli: Any) -> None:
    loop = tmp_path / "putar.json"
    loop.symlink_to(loop)
    result = cli("validate", loop)
    assert result.code == 1
    assert result.out.startswith(f"{loop}::$: cannot read")
