"""The opt-in leak finder (``pytest -p tests.leak_finder``) names the test that left a resource for the
garbage collector, and passes a test that closed what it opened."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

LEAKY = '''
import socket

class Holder:
    """A reference cycle: only the collector frees it, so its socket outlives the test."""

def test_leaks_a_socket():
    holder = Holder()
    holder.self = holder
    holder.sock = socket.socket()  # never connected: nothing is dialled

def test_closes_its_socket():
    with socket.socket():
        pass
'''

# Another plugin's teardown that allocates enough containers to start the collector's automatic run
# (as schemathesis' lifespan shutdown did on CI): the leak must still be reported by the finder, under
# the test that leaked, and not as that plugin's unraisable-exception warning.
BUSY_TEARDOWN = """
import pytest

@pytest.fixture(autouse=True)
def busy_teardown():
    yield
    keep = [[] for _ in range(50_000)]
    del keep
"""


@pytest.mark.parametrize("conftest", ["", BUSY_TEARDOWN], ids=["quiet-teardown", "allocating-teardown"])
def test_the_test_that_leaked_fails_at_its_teardown_and_no_other(pytester: pytest.Pytester, conftest: str) -> None:
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_inprocess("-p", "tests.leak_finder", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_leaks_a_socket*", "*left 1 resource(s) open*", "*unclosed <socket.socket*"]
    )
    assert "test_closes_its_socket" not in "\n".join(line for line in result.outlines if "ERROR" in line)


def test_without_the_plugin_the_leak_is_not_attributed(pytester: pytest.Pytester) -> None:
    """The control: without the plugin the same file passes (the leak surfaces later, anywhere)."""
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::ResourceWarning")
    result.assert_outcomes(passed=2)
