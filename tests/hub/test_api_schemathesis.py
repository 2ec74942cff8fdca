"""Property-based: the hub API against its own published OpenAPI (``/openapi.json``).

Schemathesis generates requests for every operation (examples, coverage and fuzzing phases, a bounded
number per operation) and sends them to a real uvicorn server on a free port, with an operator's token
(the role that may call every route except publish, whose 403 is documented). Checks: no 5xx, and every
answer conforms (documented status, content type, headers and body schema).
"""

from __future__ import annotations

import tempfile
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

from connectors.ledger.store import Ledger
from hub.api.app import create_app
from hub.tokens import create_token
from sandbox.serve import RunningServer, serve_in_thread
from tests.hub.conftest import REGION, copy_registry


def _published_openapi() -> dict[str, Any]:
    """The document the API publishes (it does not depend on the data)."""
    # a file, not "sqlite://": an in-memory database has one connection per thread (SingletonThreadPool),
    # and the app's background health refresh opening one while close() disposes them raced at collection
    with tempfile.TemporaryDirectory(prefix="mpphub-openapi-") as folder:
        ledger = Ledger.open(f"sqlite:///{folder}/ledger.db")
        document: dict[str, Any] = create_app(ledger, Path("registry"), dashboard=None).openapi()
        ledger.close()
    return document


schema = schemathesis.openapi.from_dict(_published_openapi())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str]]:
    folder = Path(tmp_path_factory.mktemp("hub-schemathesis"))
    ledger = Ledger.open(f"sqlite:///{folder / 'ledger.db'}")
    token = create_token(ledger.engine, "fuzzer", "operator")
    ledger.quarantine(REGION, f"{REGION}/akta-kelahiran", "inbound", "ref-1", "unknown status code", None)
    ledger.append_audit("test", "seed", "nothing", {"n": 1})
    app = create_app(ledger, copy_registry(folder / "registry"), cache_seconds=0, dashboard=None)
    running = serve_in_thread(app)
    yield running, token
    running.stop()
    ledger.close()


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_hub_api_conforms_to_its_openapi(case: Any, served: tuple[RunningServer, str]) -> None:
    running, token = served
    case.call_and_validate(
        base_url=running.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=20
    )
