"""Time is passed in, never patched (issue 14 item 4): no module of connectors/ or hub/ defines or moves a
process-global clock, and the ledger, the flows and the hub's readers take the time only from the clock
they were given (``connectors/clock.py``: ``Ledger.open(url, clock=...)``, ``SyncContext.clock``).

A global offset (the former ``shift_clock``) moved the time of every ledger and worker of the process at
once, so a test could not give two workers different clocks and a drill had to remember to reset it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

# names of the former global clock (and its helper, which read it): none may come back
BANNED_NAMES = {"shift_clock", "reset_clock", "_Clock", "utcnow"}
# a clock object that can be moved, made once for the whole process
MOVABLE_CLOCKS = {"ShiftedClock", "FrozenClock"}
# a module- or class-level value that looks like a time offset someone could shift
OFFSET_NAME = re.compile(r"offset|skew|shift", re.IGNORECASE)
# a module-level value a function rebinds (``global``) that is about time (other caches may, e.g. masking's)
TIME_NAME = re.compile(r"clock|offset|skew|shift|now|time", re.IGNORECASE)
# where time must come from the clock passed in: reading the system time there would bypass a test clock
CLOCKED = ("connectors/ledger", "connectors/sync", "hub/health/view.py", "hub/api", "hub/tokens.py")
SYSTEM_TIME_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}
MONOTONIC_FREE = ("connectors/ledger", "connectors/sync")  # leases and run budgets: clock.monotonic()


def _call_name(node: ast.expr) -> str | None:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _attribute_call(node: ast.Call) -> tuple[str, str] | None:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id, func.attr
    return None


def _targets(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _offset_like(value: ast.expr | None) -> bool:
    """A timedelta or a number: what an offset to add to the time is made of."""
    if isinstance(value, ast.Call):
        return _call_name(value) == "timedelta"
    return (
        isinstance(value, ast.Constant) and isinstance(value.value, int | float) and not isinstance(value.value, bool)
    )


def _shared_level_problems(body: list[ast.stmt], where: str) -> list[str]:
    """Assignments at module level or in a class body (shared by the whole process)."""
    found = []
    for node in body:
        value = getattr(node, "value", None)
        for name in _targets(node):
            if isinstance(value, ast.Call) and _call_name(value) in MOVABLE_CLOCKS:
                found.append(f"{where}: {name} is a movable clock made once for the process")
            if OFFSET_NAME.search(name) and _offset_like(value):
                found.append(f"{where}: {name} looks like a process-global time offset")
        if isinstance(node, ast.ClassDef):
            found.extend(_shared_level_problems(node.body, f"{where}:{node.name}"))
    return found


def problems_of(path: Path, relative: str) -> list[str]:
    """Everything in one module that would make (or read around) a process-global clock."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = _shared_level_problems(tree.body, relative)
    clocked = relative.startswith(CLOCKED)
    monotonic_free = relative.startswith(MONOTONIC_FREE)
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.alias):
            names.append(node.asname or node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.Global):
            found.extend(
                f"{relative}: `global {name}`: a module-level time value changed at run time"
                for name in node.names
                if TIME_NAME.search(name)
            )
        found.extend(f"{relative}: {name} (the removed global clock)" for name in names if name in BANNED_NAMES)
        if isinstance(node, ast.Call) and (called := _attribute_call(node)) is not None:
            if clocked and called in SYSTEM_TIME_CALLS:
                found.append(f"{relative}: {'.'.join(called)}() instead of the clock it was given")
            if monotonic_free and called == ("time", "monotonic"):
                found.append(f"{relative}: time.monotonic() instead of clock.monotonic()")
    return found


def _all_problems(root: Path) -> list[str]:
    found = []
    for layer in ("connectors", "hub"):
        for path in sorted((root / layer).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative == "connectors/clock.py":  # the one place that reads the system's time
                continue
            found.extend(problems_of(path, relative))
    return found


def test_no_process_global_clock_in_connectors_or_hub() -> None:
    assert _all_problems(REPO) == []


def test_the_clock_module_keeps_no_movable_state_at_module_level() -> None:
    """``SYSTEM_CLOCK`` is the only clock made at import time, and it cannot be moved."""
    tree = ast.parse((REPO / "connectors" / "clock.py").read_text(encoding="utf-8"))
    assert _shared_level_problems(tree.body, "connectors/clock.py") == []
    made = [_call_name(node.value) for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign) and node.value]
    assert [name for name in made if name and name.endswith("Clock")] == ["SystemClock"]
    from connectors.clock import SYSTEM_CLOCK

    assert not hasattr(SYSTEM_CLOCK, "advance") and not vars(SYSTEM_CLOCK), "the system clock has no state"


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        (
            "connectors/ledger/bad.py",
            "from datetime import timedelta\nclass _Clock:\n    offset = timedelta(0)\n"
            "def shift_clock(s):\n    _Clock.offset += timedelta(seconds=s)\n",
            {
                "connectors/ledger/bad.py:_Clock: offset looks like a process-global time offset",
                "connectors/ledger/bad.py: _Clock (the removed global clock)",
                "connectors/ledger/bad.py: shift_clock (the removed global clock)",
            },
        ),
        (
            "hub/bad.py",
            "from connectors.clock import ShiftedClock\nCLOCK = ShiftedClock()\nOFFSET_SECONDS = 0\n"
            "def move():\n    global OFFSET_SECONDS\n    OFFSET_SECONDS += 1\n",
            {
                "hub/bad.py: CLOCK is a movable clock made once for the process",
                "hub/bad.py: OFFSET_SECONDS looks like a process-global time offset",
                "hub/bad.py: `global OFFSET_SECONDS`: a module-level time value changed at run time",
            },
        ),
        (
            "connectors/sync/bad.py",
            "import time\nfrom datetime import datetime, UTC\n"
            "def due(at):\n    return at <= datetime.now(UTC) and time.monotonic() > 0\n",
            {
                "connectors/sync/bad.py: datetime.now() instead of the clock it was given",
                "connectors/sync/bad.py: time.monotonic() instead of clock.monotonic()",
            },
        ),
    ],
)
def test_the_guard_sees_a_global_clock(tmp_path: Path, relative: str, source: str, expected: set[str]) -> None:
    bad = tmp_path / relative
    bad.parent.mkdir(parents=True)
    bad.write_text(source)
    assert set(_all_problems(tmp_path)) == expected


def test_a_clock_passed_in_is_not_a_problem(tmp_path: Path) -> None:
    good = tmp_path / "connectors" / "sync" / "good.py"
    good.parent.mkdir(parents=True)
    good.write_text("def due(ctx, at):\n    return at <= ctx.clock.now() and ctx.clock.monotonic() > 0\n")
    assert _all_problems(tmp_path) == []
