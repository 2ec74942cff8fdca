"""Property-based: the sandbox national layer against its own OpenAPI contract (faults off).

Schemathesis generates requests from ``schemas/national-api.openapi.json`` (examples, coverage and
fuzzing phases, a bounded number of examples per operation) and checks that no answer is a 5xx and
that every answer conforms: documented status, content type, headers and body schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sandbox.national.app import create_app
from sandbox.national.citizens import REGISTRY, CitizenSimulator, StoreSink
from sandbox.national.contract import CONTRACT_FILE, contract
from sandbox.national.store import Store
from sandbox.serve import RunningServer, serve_in_thread
from tests.sandbox.fixtures_national import TOKEN

schema = schemathesis.openapi.from_path(CONTRACT_FILE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    db = Path(tmp_path_factory.mktemp("schemathesis")) / "national.db"
    # the application the contract's examples name, so that reads, acknowledgements and events meet one
    example_id = contract()["components"]["parameters"]["ApplicationIdPath"]["example"]
    store = Store(db)
    submission = CitizenSimulator(seed=5, services=["35.76/akta-kelahiran"]).generate(1)[0]
    StoreSink(store).send(dataclasses.replace(submission, id=example_id))
    store.close()
    running = serve_in_thread(create_app(str(db), token=TOKEN, registry_dir=str(REGISTRY)))
    yield running
    running.stop()


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_national_layer_conforms_to_its_contract(case: Any, server: RunningServer) -> None:
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS, timeout=10)
