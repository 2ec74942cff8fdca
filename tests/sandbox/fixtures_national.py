"""pytest fixtures that start the sandbox national layer (registered in tests/conftest.py).

- ``national_server``: a server in a thread over a fresh SQLite file, catalogue seeded from the registry;
- ``national_module_server``: the same, shared by the tests of one module;
- ``start_national``: a factory (``start_national(db_path=None, in_process=False, **create_app_kwargs)``)
  for more servers, restarts on the same file, or servers in their own process; all stopped at teardown.

Each yields a ``NationalServer``: ``url``, ``token``, ``db_path``, authenticated ``get/put/post`` helpers,
``truth()``, ``faults(**knobs)`` and ``citizens(n)`` (the citizen simulator over HTTP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.national.app import create_app
from sandbox.national.citizens import REGISTRY, CitizenSimulator, Submission
from sandbox.serve import RunningServer, serve_in_process, serve_in_thread

TOKEN = "test-national-token"  # noqa: S105 - the sandbox's test token
FACTORY = "sandbox.national.app:create_app"


@dataclass
class NationalServer:
    """A running sandbox national layer and a small client for it."""

    url: str
    token: str
    db_path: Path
    running: RunningServer = field(repr=False)
    on_stop: Callable[[], None] = field(default=lambda: None, repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """An authenticated request to ``path`` (timeout 10 s unless given)."""
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def truth(self, region: str | None = None) -> dict[str, Any]:
        """``GET /_sandbox/truth`` (never faulted)."""
        response = requests.get(f"{self.url}/_sandbox/truth", params={"region": region} if region else None, timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def faults(self, **knobs: Any) -> dict[str, Any]:
        """Replace the fault knobs (``faults()`` switches every fault off)."""
        response = requests.put(f"{self.url}/_sandbox/faults", json=knobs, timeout=10)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def citizens(self, n: int, seed: int = 0, **options: Any) -> list[Submission]:
        """``n`` citizens apply (through ``POST /_sandbox/applications``)."""
        return CitizenSimulator.to_url(self.url, seed=seed, **options).submit(n)

    def stop(self) -> None:
        """Stop the server (the database file stays)."""
        self.session.close()
        self.running.stop()
        self.on_stop()

    def apply(self, service_id: str = "35.76/akta-kelahiran", n: int = 1, seed: int = 0) -> list[str]:
        """Ids of ``n`` new citizens' applications for one service."""
        return [s.id for s in self.citizens(n, seed=seed, services=[service_id])]


@pytest.fixture
def start_national(tmp_path: Path) -> Iterator[Callable[..., NationalServer]]:
    """Factory of national-layer servers; every one is stopped at teardown."""
    started: list[NationalServer] = []

    def start(db_path: Path | None = None, in_process: bool = False, **kwargs: Any) -> NationalServer:
        db = db_path or tmp_path / f"national-{len(started)}.db"
        options = {"token": TOKEN, "registry_dir": str(REGISTRY), **kwargs, "db_path": str(db)}
        on_stop: Callable[[], None] | None = None
        if in_process:
            running = serve_in_process(FACTORY, options)
        else:
            app = create_app(**options)
            running = serve_in_thread(app)
            on_stop = app.app.state.store.close  # type: ignore[attr-defined]
        server = NationalServer(running.url, str(options["token"]), db, running, on_stop or (lambda: None))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def national_module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NationalServer]:
    """One national layer shared by a module's tests (for tests that do not depend on a clean state)."""
    db = tmp_path_factory.mktemp("national") / "national.db"
    app = create_app(str(db), token=TOKEN, registry_dir=str(REGISTRY))
    running = serve_in_thread(app)
    server = NationalServer(running.url, TOKEN, db, running, app.app.state.store.close)  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def national_server(start_national: Callable[..., NationalServer]) -> NationalServer:
    """A sandbox national layer in a thread over a fresh SQLite file (catalogue seeded, faults off)."""
    return start_national()


def status_event(
    application_id: str, sequence: int, status: str, event_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A status event as the hub pushes it (event id ``<application>:<sequence>`` unless given)."""
    return {
        "event_id": event_id or f"{application_id}:{sequence}",
        "application_id": application_id,
        "sequence": sequence,
        "status": status,
        "changed_at": "2026-11-28T08:00:00+07:00",
        **extra,
    }
