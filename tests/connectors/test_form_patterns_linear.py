"""A citizen's value cannot hang the hub on a backtracking form pattern (issue 13 item 4): forms are checked
by jsonschema-rs, whose regex engine runs in linear time for patterns without look-around or
back-references, so ``^(a+)+$`` against 50,000 a's and a '!' ends at once. Python's backtracking ``re``
would need about 2^50,000 steps: the control shows it stuck on 40 characters (in a child process, killed:
the regex holds the interpreter lock, so a thread could not be abandoned). Each check runs in a child
process with a generous time limit: a regression fails the test instead of hanging the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOSTILE_PATTERNS = [r"^(a+)+$", r"^(a|aa)+$", r"^(\w+\s?)*$", r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@)$"]


def _ends_within(code: str, seconds: float) -> bool:
    """Whether ``python -c code`` (in this repository) ends within ``seconds``; killed if not."""
    try:
        subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=seconds, check=True)
    except subprocess.TimeoutExpired:
        return False
    return True


CHECK = """
from pathlib import Path
from connectors.sync.packages import PackageSource
packages = PackageSource(Path("registry"))
form = {{"type": "object", "properties": {{"nama": {{"type": "string", "pattern": {pattern!r}}}}}}}
packages.version = lambda service_id, version: {{"form": form}}
problems = packages.form_problems("35.76/x", "1.0.0", {{"nama": "a" * 50_000 + "!"}})
assert problems == ["nama: Pattern"], problems  # refused, with the rule's name, never the value
"""


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_a_hostile_value_against_a_backtracking_pattern_ends(pattern: str) -> None:
    # generous: the linear engine takes well under a millisecond; this only proves that it ends
    assert _ends_within(CHECK.format(pattern=pattern), 60)


def test_control_python_re_backtracks() -> None:
    """The same pattern in Python's own engine does not end on a short hostile value: the check above is not
    vacuous."""
    assert not _ends_within(f"import re; re.fullmatch({HOSTILE_PATTERNS[0]!r}, 'a' * 40 + '!')", 5)
