"""Opt-in plugin that names the test which leaked a resource: ``pytest -p tests.leak_finder``.

``filterwarnings = error`` makes a ResourceWarning fail the suite, but a connection or socket left open is
only found when the garbage collector reaches it: at an arbitrary later moment, so the failure lands on
whichever test runs then. With this plugin, the collector's automatic runs are paused while a test runs
(an automatic run inside some other plugin's teardown would surface the leak under that plugin's name,
or not at all), garbage is collected after every test's teardown, and what it finds (a ResourceWarning,
or anything else raised in a ``__del__``) fails *that* test's teardown with the object's description.
It costs a full collection per test (about a tenth more suite time), so it is a tool for hunting a leak,
not part of ``make test``."""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Generator
from typing import Any

import pytest


def _collect() -> list[str]:
    """Collect garbage now; what the collected objects warned or raised while being finalised."""
    found: list[str] = []
    previous = sys.unraisablehook

    def record(unraisable: Any) -> None:
        found.append(f"{unraisable.exc_type.__name__}: {unraisable.exc_value} ({unraisable.object!r})")

    sys.unraisablehook = record
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gc.collect()
    finally:
        sys.unraisablehook = previous
    found += [f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, ResourceWarning)]
    return found


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, object]:
    """Pause automatic collection for the test's setup, call and teardown, so only ``_collect`` frees its cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        if was_enabled:
            gc.enable()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """After the test's own teardown: anything it left for the collector fails it here."""
    result = yield
    leaks = _collect()
    if leaks:
        pytest.fail(f"{item.nodeid} left {len(leaks)} resource(s) open:\n  " + "\n  ".join(leaks), pytrace=False)
    return result
