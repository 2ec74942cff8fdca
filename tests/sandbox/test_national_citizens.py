"""The citizen simulator: NIK structure (region code, birth date, +40 for women), phone numbers, form data
valid for every published sample package, attachments, determinism under a seed, pacing."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from datetime import date
from typing import Any

import jsonschema_rs
import pytest

from registry.index import load_index
from registry.synthetic import patterns
from registry.synthetic.identity import District, districts_of, make_nik, parse_nik
from sandbox.national.citizens import REGISTRY, CitizenSimulator, published_packages
from tests.sandbox.fixtures_national import NationalServer

TODAY = date(2026, 11, 28)
PUBLISHED = sorted(load_index(REGISTRY)["packages"])
PHONE = re.compile(r"^08[1-9][0-9]{8,10}$")


def _fields(schema: dict[str, Any], data: Any, hint: str) -> list[tuple[str, Any]]:
    """(field name, value) of every value marked ``x-personal-data: hint`` anywhere in the form data."""
    out: list[tuple[str, Any]] = []
    for name, sub in schema.get("properties", {}).items():
        if name not in data:
            continue
        value, items = data[name], sub.get("items", {})
        if sub.get("x-personal-data") == hint or items.get("x-personal-data") == hint:
            out += [(name, v) for v in (value if isinstance(value, list) else [value])]
        if isinstance(value, dict):
            out += _fields(sub, value, hint)
        if isinstance(value, list) and items.get("type") == "object":
            for item in value:
                out += _fields(items, item, hint)
    return out


@pytest.mark.parametrize(
    ("birth", "female", "expected"),
    [
        (date(1985, 3, 7), False, "3576010703850042"),
        (date(1985, 3, 7), True, "3576014703850042"),
        (date(2001, 12, 31), True, "3576017112010042"),
        (date(2000, 1, 1), False, "3576010101000042"),
    ],
)
def test_nik_structure_and_the_plus_40_rule(birth: date, female: bool, expected: str) -> None:
    district = District("35.76.01", "Prajuritkulon")
    nik = make_nik(district, birth, female, 42)
    assert nik == expected
    parts = parse_nik(nik)
    assert (parts.district, parts.day, parts.month, parts.year2, parts.female, parts.serial) == (
        "357601",
        birth.day,
        birth.month,
        birth.year % 100,
        female,
        42,
    )


@pytest.mark.parametrize("package_id", PUBLISHED)
def test_form_data_is_valid_for_every_published_package(package_id: str) -> None:
    simulator = CitizenSimulator(seed=11, services=[package_id], today=TODAY)
    (package,) = simulator.packages
    validator = jsonschema_rs.validator_for(package["form"], validate_formats=True)
    region_prefixes = {d.nik_prefix for d in districts_of(package["region"])}
    for submission in simulator.generate(15):
        assert (submission.service_id, submission.package_version) == (package_id, package["version"])
        assert validator.is_valid(submission.form), list(validator.iter_errors(submission.form))[:1]
        for _, nik in _fields(package["form"], submission.form, "nik") + _fields(
            package["form"], submission.form, "kk"
        ):
            assert nik[:6] in region_prefixes, (package_id, nik[:6])
        for name, nik in _fields(package["form"], submission.form, "nik"):
            parse_nik(nik)  # a possible birth date, a serial
            role = name.removeprefix("nik").lstrip("_")
            born = submission.form.get(f"tanggal_lahir_{role}" if role else "tanggal_lahir")
            if born:  # the same person's birth date is in the NIK
                assert nik[8:12] == born[5:7] + born[2:4] and int(nik[6:8]) % 40 == int(born[8:10])
            sex = submission.form.get(f"jenis_kelamin_{role}" if role else "jenis_kelamin")
            if sex:
                assert parse_nik(nik).female == (sex == "P")
        for _, phone in _fields(package["form"], submission.form, "phone"):
            assert PHONE.match(phone), phone
        required = {r["id"] for r in package["service"]["requirements"] if r["required"]}
        assert required <= {f.requirement_id for f in submission.attachments}
        for f in submission.attachments:
            (req,) = [r for r in package["service"]["requirements"] if r["id"] == f.requirement_id]
            assert f.filename.rsplit(".", 1)[1] in req["formats"] and len(f.content) <= req["max_size_kb"] * 1024


def test_adopted_services_are_read_composed() -> None:
    """A region adopting a template publishes the composed package: the simulator reads that, not the
    overlay (which has no form), and fills in NIKs of the adopting region."""
    adopted = [p for p in published_packages(REGISTRY) if "extends" in p]
    assert len({p["region"] for p in adopted}) >= 10
    for package in adopted:
        assert package["form"]["properties"] and package["service"]["requirements"], package["id"]
    simulator = CitizenSimulator(seed=3, services=[p["id"] for p in adopted], today=TODAY)
    submissions = [simulator.application_for(p) for p in simulator.packages]
    assert {s.service_id for s in submissions} == {p["id"] for p in adopted}


def test_women_and_men_are_both_generated() -> None:
    simulator = CitizenSimulator(seed=1, services=["35.76/kartu-pencari-kerja"], today=TODAY)
    sexes = {(s.form["jenis_kelamin"], parse_nik(s.form["nik"]).female) for s in simulator.generate(40)}
    assert sexes == {("L", False), ("P", True)}


def test_same_seed_same_applications() -> None:
    def run(seed: int) -> list[Any]:
        sim = CitizenSimulator(seed=seed, today=TODAY, clock=lambda: "2026-11-28T01:00:00Z")
        return [(s.id, s.service_id, json.dumps(s.form), [f.content for f in s.attachments]) for s in sim.generate(10)]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_only_services_citizens_can_apply_for_online() -> None:
    for package in published_packages(REGISTRY):
        assert {"online", "mobile"} & set(package["service"]["channels"])


def test_pacing_follows_the_rate(national_server: NationalServer) -> None:
    simulator = CitizenSimulator.to_url(national_server.url, seed=2)
    start = time.monotonic()
    assert simulator.run(rate_per_second=40, count=12) == 12
    elapsed = time.monotonic() - start
    assert elapsed >= 11 / 40  # paced, never faster than the rate
    assert len(national_server.truth()["applications"]) == 12
    assert simulator.run(rate_per_second=1000, duration=0.05) <= 50


def test_a_slow_run_stops_promptly_and_sends_nothing_once_stopped(national_server: NationalServer) -> None:
    # `mpphub sandbox up` at Ctrl-C: the citizens' thread ends before the national layer is stopped, not
    # one 1/rate-second sleep later with an application for a server already gone (a traceback)
    simulator = CitizenSimulator.to_url(national_server.url, seed=3)
    stop = threading.Event()
    runner = threading.Thread(target=simulator.run, kwargs={"rate_per_second": 0.1, "stop": stop.is_set})
    runner.start()
    time.sleep(0.5)  # the first application goes at once, the next is due in 10 s
    stop.set()
    started = time.monotonic()
    runner.join(timeout=5)
    assert not runner.is_alive() and time.monotonic() - started < 0.5
    assert simulator.submitted == 1 == len(national_server.truth()["applications"])


def test_store_sink_writes_straight_into_the_database(national_server: NationalServer) -> None:
    submissions = CitizenSimulator.to_store(national_server.db_path, seed=4).submit(5)
    ids = [a["id"] for a in national_server.truth()["applications"]]
    assert ids == [s.id for s in submissions]


@pytest.mark.parametrize(
    "pattern",
    [
        "^[0-9]{16}$",
        "^(\\+62|0)8[0-9]{8,12}$",
        "^[A-Z]{1,2} ?[0-9]{1,4} ?[A-Z]{0,3}$",
        "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "^[^a-z]{3,}x*$",
    ],
)
def test_regex_generator_matches_in_full(pattern: str) -> None:
    rng = random.Random(0)  # noqa: S311
    for _ in range(200):
        assert re.fullmatch(pattern, patterns.sample(pattern, rng))


@pytest.mark.parametrize("pattern", ["(?=a)b", "(a)\\1", "[abc"])
def test_regex_generator_refuses_what_it_cannot_do(pattern: str) -> None:
    with pytest.raises(ValueError):
        patterns.sample(pattern, random.Random(0))  # noqa: S311
