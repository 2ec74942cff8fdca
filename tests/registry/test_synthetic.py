"""``registry.synthetic``: test data for any published package's form, from core dependencies only (the
generator ``mpphub check --write`` uses on a production install, where Faker is missing)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from datetime import date
from typing import Any

import jsonschema_rs
import pytest

from registry.index import load_index
from registry.synthetic.forms import FormGenerationError, sample_form, valid_form
from registry.synthetic.identity import PlainNames, districts_of, parse_nik
from tests.conftest import REPO

TODAY = date(2026, 3, 2)


def _published() -> list[dict[str, Any]]:
    registry = REPO / "registry"
    docs = []
    for _, entry in sorted(load_index(registry)["packages"].items()):
        info = entry["versions"][entry["latest"]]
        docs.append(json.loads((registry / info["path"]).read_text(encoding="utf-8")))
    return docs


PUBLISHED = _published()


@pytest.mark.parametrize("package", PUBLISHED, ids=lambda p: str(p["id"]))
def test_valid_form_for_every_published_package(package: dict[str, Any]) -> None:
    validator = jsonschema_rs.validator_for(package["form"], validate_formats=True)
    rng = random.Random(3)  # noqa: S311 - test data
    for _ in range(5):
        form = valid_form(package, rng, TODAY)
        assert validator.is_valid(form)
        for name, schema in package["form"].get("properties", {}).items():
            if schema.get("x-personal-data") == "nik" and name in form and isinstance(form[name], str):
                # a NIK of the package's region, with the structure the national layer checks
                assert form[name][:2] == package["region"][:2] or "pattern" in schema
                parse_nik(form[name])


@pytest.mark.parametrize("package", PUBLISHED[:8], ids=lambda p: str(p["id"]))
def test_sample_form_keeps_required_fields_and_drops_optional_ones_when_told(package: dict[str, Any]) -> None:
    form = sample_form(package["form"], random.Random(5), include_optional=False, region=package["region"])  # noqa: S311
    assert set(form) == set(package["form"].get("required", []))
    full = sample_form(package["form"], random.Random(5), region=package["region"])  # noqa: S311
    assert set(full) == set(package["form"].get("properties", {}))


def test_a_form_without_valid_data_says_where_without_values() -> None:
    package = {
        "id": "35.76/x",
        "region": "35.76",
        "form": {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string", "minLength": 5, "maxLength": 2}},
        },
    }
    with pytest.raises(FormGenerationError, match=r"35\.76/x: .* failing at \$\.a$"):
        valid_form(package, random.Random(0), TODAY)  # noqa: S311


def test_a_hinted_value_the_pattern_refuses_gives_way_to_the_pattern() -> None:
    # a NIK of Jawa Timur (35...) but a pattern that wants Jakarta's (31...)
    form = {
        "type": "object",
        "required": ["nik"],
        "properties": {"nik": {"type": "string", "x-personal-data": "nik", "pattern": "^31[0-9]{14}$"}},
    }
    for seed in range(20):
        assert re.fullmatch("31[0-9]{14}", sample_form(form, random.Random(seed), region="35.76")["nik"])  # noqa: S311


def test_plain_names_are_reproducible_and_unknown_regions_fall_back() -> None:
    assert PlainNames(random.Random(1)).given_name(True) == PlainNames(random.Random(1)).given_name(True)  # noqa: S311
    with pytest.raises(ValueError):
        districts_of("99.99")
    form = {"type": "object", "required": ["nik"], "properties": {"nik": {"type": "string", "x-personal-data": "nik"}}}
    assert sample_form(form, random.Random(1), region="99.99")["nik"].startswith("3576")  # noqa: S311


def test_without_faker_check_still_makes_test_data() -> None:
    """A production install has no Faker: importing it fails, and the generator and check still work."""
    code = (
        "import sys, random, datetime, json\n"
        "sys.modules['faker'] = None  # import faker -> ImportError, as on a production install\n"
        "import hub.checking\n"
        "from registry.synthetic.forms import valid_form\n"
        "doc = json.load(open(sys.argv[1]))\n"
        "print(json.dumps(sorted(valid_form(doc, random.Random(1), datetime.date(2026, 3, 2)))))\n"
        "assert 'faker' not in sys.modules or sys.modules['faker'] is None\n"
    )
    package = REPO / "registry" / "packages" / "35.76" / "akta-kelahiran.json"
    done = subprocess.run(
        [sys.executable, "-c", code, str(package)], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    required = json.loads(package.read_text(encoding="utf-8"))["form"]["required"]
    assert set(required) <= set(json.loads(done.stdout))
