"""The cold-start fast path (``registry.schema_fast``) never calls valid what jsonschema-rs rejects.

Differential tests against jsonschema-rs on the sample packages and on many mutated ones (hypothesis),
plus the documents where engines are known to differ (regex ``$`` before a newline, Unicode classes,
floats that look like integers, huge integers, lone surrogates).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.schema_check import package_validator
from registry.schema_fast import is_certainly_valid
from registry.validate import compose_package
from tests.conftest import REPO

SAMPLES = sorted((REPO / "registry" / "packages").rglob("*.json"))


def _whole(path: Path) -> Any:
    """A sample as the package schema sees it: an overlay (``extends``) composed with its template."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return compose_package(path, doc).doc if "extends" in doc else doc


DOCS = [_whole(p) for p in SAMPLES]
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _rs_valid(doc: Any) -> bool:
    try:
        return bool(package_validator().is_valid(doc))
    except (UnicodeEncodeError, ValueError, OverflowError):
        return False


def _agree(doc: Any) -> bool:
    """The property: the fast path says valid only when jsonschema-rs does."""
    return not is_certainly_valid(doc) or _rs_valid(doc)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


PATHS = [(i, p) for i, doc in enumerate(DOCS) for p in _paths(doc) if p]
TRICKY_STRINGS = [
    "35.76\n",
    "35.76/akta-kelahiran\n",
    "1.0.0\n",
    "A_B\n",
    "capil@mojokertokota.go.id\n",
    "a\u00a0b@x.id",
    "a\ufeffb@x.id",
    "a\x1cb@x.id",
    "\u0663\u0665",
    "https://x\u2028y.id",
    "",
    "x" * 65,
    "x" * 201,
    "paid",
    "free",
    "rest",
    "sql",
    "object",
    "lookup_by_reference",
    "key_header",
    "approved",
    "MOJOKERTO_TOKEN",
    "\U0001f600",
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([0, 1, 1.0, 2.0, 1.5, -1, 2**53 + 1, 2**64, 10**30, 365, 366, 1000])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(TRICKY_STRINGS),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _mutated(index: int, path: tuple[Any, ...], value: Any, action: str) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(DOCS[index])
    node = doc
    for key in path[:-1]:
        node = node[key]
    last = path[-1]
    if action == "delete":
        del node[last]
    elif action == "add" and isinstance(node[last], dict):
        node[last][str(value)[:12]] = value
    else:
        node[last] = value
    return doc


def test_every_sample_takes_the_fast_path() -> None:
    # the fast path is useful only if valid packages pass it: a schema change it cannot follow fails here
    assert len(DOCS) >= 20
    assert [p.name for p, d in zip(SAMPLES, DOCS, strict=True) if not is_certainly_valid(d)] == []


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("region",), "35.76\n"),
        (("id",), "35.76/akta-kelahiran\n"),
        (("contact", "email"), "a\u00a0b@x.id"),
        (("contact", "email"), "a\x1cb@x.id"),
        (("service", "sla_working_days"), 3.0),
        (("service", "sla_working_days"), 2**64),
        (("service", "sla_working_days"), True),
        (("service", "name", "en"), "\ud800"),
        (("form", "properties", "nama_anak", "minLength"), 2.0),
        (("form", "properties", "nama_anak", "$ref"), "#/nope"),
        (("form", "properties", "nama_anak", "pattern"), "["),
        (("form", "$schema"), "https://json-schema.org/draft/2019-09/schema"),
        (("local_system", "idempotency"), {"strategy": "lookup_by_reference"}),
        (("local_system", "operations", "submit", "extra"), "x"),
        (("service", "fee"), {"type": "paid", "amount_idr": 1000}),
        (("service", "channels"), ["online", "online"]),
    ],
)
def test_known_engine_differences_are_never_accepted(where: tuple[str, ...], value: Any) -> None:
    doc = copy.deepcopy(
        DOCS[SAMPLES.index(next(p for p in SAMPLES if p.parts[-2:] == ("35.76", "akta-kelahiran.json")))]
    )
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    assert _agree(doc)


def test_an_invalid_package_is_not_called_valid() -> None:
    doc = copy.deepcopy(DOCS[0])
    doc["service"]["fee"] = {"type": "paid"}
    assert not _rs_valid(doc)
    assert not is_certainly_valid(doc)  # the check can fail: it is not `True` everywhere


@SETTINGS
@given(st.sampled_from(PATHS), JSON, st.sampled_from(["set", "set", "delete", "add"]))
def test_fast_path_never_accepts_what_jsonschema_rs_rejects(
    where: tuple[int, tuple[Any, ...]], value: Any, action: str
) -> None:
    index, path = where
    assert _agree(_mutated(index, path, value, action))


@SETTINGS
@given(st.sampled_from(PATHS), st.sampled_from(PATHS))
def test_swapping_values_between_samples(
    first: tuple[int, tuple[Any, ...]], second: tuple[int, tuple[Any, ...]]
) -> None:
    # values taken from other valid packages keep documents near-valid, where verdicts are closest
    source = DOCS[second[0]]
    value: Any = source
    for key in second[1]:
        value = value[key]
    assert _agree(_mutated(first[0], first[1], copy.deepcopy(value), "set"))


def test_jsonschema_rs_is_not_imported_by_the_fast_path() -> None:
    import subprocess
    import sys

    code = (
        "import sys, json; from registry.schema_fast import is_certainly_valid; "
        f"assert is_certainly_valid(json.load(open({str(SAMPLES[0])!r}))); "
        "print('jsonschema_rs' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert jsonschema_rs  # the reference engine of this module's tests
