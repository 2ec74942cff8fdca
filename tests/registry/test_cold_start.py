"""What ``mpphub validate one.json`` imports (the 50 ms cold-start target, measured in bench/), and the
shortcuts that keep heavy modules off that path giving the same answers as the full code."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import registry.jmespath_refs
from hub.cli import COMMANDS, build_parser, main, plain_validate_args
from tests.conftest import REPO

SIMPLE = REPO / "registry" / "packages" / "35.76" / "akta-kelahiran.json"
# Modules that cost milliseconds each and that a valid one-file run must not load.
HEAVY = [
    "jsonschema_rs",
    "jmespath",
    "dataclasses",
    "inspect",
    "shutil",
    "difflib",
    "csv",
    "pydantic",
    "requests",
    "sqlalchemy",
    "httpx",
    "concurrent.futures",
    "email.utils",
    "argparse",
    "gettext",
]


def _modules_after(args: list[str]) -> tuple[int, set[str]]:
    code = (
        "import sys, json\n"
        "from hub.cli import main\n"
        f"rc = main({args!r})\n"
        "sys.stderr.write(json.dumps([rc, sorted(sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    rc, modules = json.loads(done.stderr.splitlines()[-1])
    return rc, set(modules)


def test_validating_one_valid_package_loads_no_heavy_module() -> None:
    rc, modules = _modules_after(["validate", str(SIMPLE)])
    assert rc == 0
    assert sorted(m for m in HEAVY if m in modules) == []
    assert not any(m.startswith("hub.commands.") and m != "hub.commands.validate" for m in modules)


def test_an_invalid_package_still_gets_jsonschema_rs_messages(tmp_path: Path) -> None:
    doc = json.loads(SIMPLE.read_text(encoding="utf-8"))
    doc["service"]["category"] = "kependudukn"
    bad = tmp_path / "akta-kelahiran.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "validate", str(bad)], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert done.returncode == 1
    assert f"{bad}::$.service.category: 'kependudukn' is not one of:" in done.stdout
    assert "did you mean 'kependudukan'?" in done.stdout


def test_the_parser_still_knows_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)
    full = build_parser()  # every command module still builds its arguments
    choices = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert [n for n in COMMANDS if choices[n].get_default("_module") is None] == []
    only = next(a for a in build_parser(only="diff")._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert [n for n in COMMANDS if only[n].get_default("_module") is not None] == ["diff"]


def test_another_commands_help_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "--against-previous" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["nonsense"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize(
    "argv",
    [["validate", "a.json"], ["validate", "a.json", "registry/packages"], ["validate", "--format", "json", "a.json"]],
)
def test_validate_without_options_is_parsed_as_argparse_would(argv: list[str]) -> None:
    plain = plain_validate_args(argv)
    parsed = vars(build_parser(only="validate").parse_args(argv))
    if any(arg.startswith("-") for arg in argv):
        assert plain is None  # options go through argparse
    else:
        assert vars(plain) == parsed


@pytest.mark.parametrize(
    "argv", [[], ["validate"], ["diff", "a", "b"], ["validate", "-h"], ["validate", "a", "--jobs=1"]]
)
def test_anything_else_goes_through_argparse(argv: list[str]) -> None:
    assert plain_validate_args(argv) is None


# --- the JMESPath shortcut -------------------------------------------------------------------------

IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
EXPRESSIONS = st.one_of(
    st.lists(IDENT, min_size=1, max_size=4).map(".".join),
    st.text(alphabet=st.characters(blacklist_characters="'\\", blacklist_categories=["Cs"]), max_size=20).map(
        lambda t: f"'{t}'"
    ),
    st.text(alphabet="ab._'\\[]*|&`0123 ", max_size=12),
)


def _via_jmespath(expression: str) -> object:
    """What field_chains answers when it parses the expression with jmespath (no shortcut)."""
    try:
        jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError:
        return "error"
    chains: list[tuple[str, ...]] = []
    registry.jmespath_refs._collect(jmespath.compile(expression).parsed, chains)
    return tuple(chains)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # jmespath on `bare` backtick literals
@settings(max_examples=400, deadline=None)
@given(EXPRESSIONS)
def test_the_shortcut_answers_like_jmespath(expression: str) -> None:
    registry.jmespath_refs.field_chains.cache_clear()
    try:
        answer: object = registry.jmespath_refs.field_chains(expression)
    except registry.jmespath_refs.ExpressionError:
        answer = "error"
    assert answer == _via_jmespath(expression)


@pytest.mark.parametrize(
    ("expression", "chains"),
    [("form.nama", (("form", "nama"),)), ("'AKTA'", ()), ("data", (("data",),)), ("a.b.c", (("a", "b", "c"),))],
)
def test_shortcut_examples(expression: str, chains: tuple[tuple[str, ...], ...]) -> None:
    assert registry.jmespath_refs.field_chains(expression) == chains == _via_jmespath(expression)
