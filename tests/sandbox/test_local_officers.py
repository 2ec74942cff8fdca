"""The simulated officers and counter clerks, without servers: legal paths through every package's local
codes, determinism under a seed, valid walk-in forms, and the pieces they are made of."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
import requests

from registry.schemas import national_transitions
from registry.synthetic.forms import sample_form
from registry.synthetic.patterns import sample
from sandbox.local import rest_indonesian
from sandbox.local.catalogue import services_for
from sandbox.local.families import INDONESIAN as INDONESIAN_FAMILY
from sandbox.local.officers import NATIONAL_NEXT, StatusLadder
from sandbox.local.server import handle
from sandbox.local.store import LocalStore
from sandbox.serve import serve_in_thread
from tests.sandbox.local_support import PACKAGES, TIMEOUT, assert_legal_paths, assert_valid_form, ids, seeded

PATTERNS = sorted(
    {
        schema["pattern"]
        for package in PACKAGES
        for schema in [
            *package["form"]["properties"].values(),
            *(s.get("items", {}) for s in package["form"]["properties"].values()),
        ]
        if "pattern" in schema
    }
)


def test_every_officer_move_is_a_legal_national_transition() -> None:
    graph = national_transitions()
    for source, targets in NATIONAL_NEXT.items():
        assert {target for target, _ in targets} <= set(graph[source]), source


@pytest.mark.parametrize("package", PACKAGES, ids=ids(PACKAGES))
def test_officers_walk_every_local_code_legally_to_a_final_status(package) -> None:
    status_map = package["local_system"]["status_map"]
    ladder, rng = StatusLadder(status_map), seeded(5)
    histories, seen = {}, Counter[str]()
    for run in range(300):
        codes = [ladder.initial]
        while (following := ladder.next(codes[-1], rng)) is not None:
            codes.append(following)
            assert len(codes) < 80, codes
        assert ladder.is_final(codes[-1])
        histories[run] = codes
        seen.update(codes)
    assert_legal_paths(status_map, histories)
    assert set(seen) == set(status_map)  # every declared local code happens
    processing = [c for c, n in status_map.items() if n == "processing"]
    for codes in histories.values():  # processing codes in the order the package lists them
        steps = [c for c in codes if c in processing]
        assert steps == sorted(steps, key=processing.index)


def test_officers_are_deterministic_under_a_seed() -> None:
    services = services_for(INDONESIAN_FAMILY, PACKAGES)

    def run(seed: int) -> list[str]:
        store = LocalStore(services, seed)
        for service in services.values():
            for n in range(5):
                store.create(service, {}, f"{service.code}-{n}", "online")
        store.create_walk_ins(2)
        store.officers_step(4)
        return [f"{a.reference}:{a.status}:{sorted(a.body)}" for a in store.applications]

    assert run(3) == run(3)
    assert run(3) != run(4)


@pytest.mark.parametrize("package", PACKAGES, ids=ids(PACKAGES))
def test_generated_forms_are_valid(package) -> None:
    rng = seeded(9)
    for n in range(20):
        assert_valid_form(package, sample_form(package["form"], rng, include_optional=bool(n % 2)))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_samples_match(pattern) -> None:
    rng = seeded(1)
    for _ in range(50):
        assert re.fullmatch(pattern, sample(pattern, rng))


@pytest.mark.parametrize("pattern", ["(a", "a{2", "(?=a)b"])
def test_unsupported_patterns_are_refused_not_guessed(pattern) -> None:
    with pytest.raises(ValueError):
        sample(pattern, seeded(1))


def test_background_pace_moves_applications_until_stopped() -> None:
    app = rest_indonesian.create_app(seed=2, officer_interval_s=0.05)
    running = serve_in_thread(app)
    try:
        requests.post(f"{running.url}/_sandbox/officers/walk-ins", json={"n": 3}, timeout=TIMEOUT)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            truth = requests.get(f"{running.url}/_sandbox/truth", timeout=TIMEOUT).json()
            if all(a["national_status"] in ("approved", "rejected", "cancelled") for a in truth["applications"]):
                break
            time.sleep(0.05)
        assert truth["pace_interval_s"] == 0.05
        assert len(truth["status_changes"]) > len(truth["applications"]) >= 6
        stopped = requests.put(f"{running.url}/_sandbox/officers/pace", json={"interval_s": None}, timeout=TIMEOUT)
        assert stopped.json() == {"interval_s": None}
        before = len(requests.get(f"{running.url}/_sandbox/truth", timeout=TIMEOUT).json()["status_changes"])
        time.sleep(0.15)
        assert len(requests.get(f"{running.url}/_sandbox/truth", timeout=TIMEOUT).json()["status_changes"]) == before
    finally:
        handle(app).pace.stop()
        running.stop()
