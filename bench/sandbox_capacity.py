"""Benchmark: the raw request rate each sandbox HTTP server sustains, for one list and one write endpoint.

The project's benchmarks drive the hub against the sandbox servers; their figures only mean something if
the sandbox is not the bottleneck. This measures the ceiling of each server on this machine, with no hub
in between: every server runs in its own process (``sandbox.serve.serve_in_process``, so it does not share
the client's GIL) and one plain ``requests.Session`` sends N sequential requests to each endpoint:

  * national layer: list ``GET /regions/35.76/applications?limit=100`` and write
    ``PUT /applications/{id}/acknowledgement`` (distinct ids, seeded beforehand by the citizen simulator);
  * local style (a), package 35.76/akta-kelahiran: write ``POST /permohonan`` (with its Idempotency-Key)
    and list ``GET /permohonan/perubahan-status`` (page 1, 100 per page);
  * local style (b), package 35.76/izin-reklame: write ``POST /applications`` and list
    ``GET /applications/events`` (100 per page), basic auth.

Request bodies are built before the clock starts; every response must be 2xx. Prints a table;
--json prints one object mapping ``<server>.<list|write>`` to requests per second, plus ``requests``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from registry.synthetic.forms import sample_form  # noqa: E402
from sandbox.local.catalogue import load_packages  # noqa: E402
from sandbox.local.mapping import build_object  # noqa: E402
from sandbox.national.citizens import REGISTRY, CitizenSimulator  # noqa: E402
from sandbox.serve import RunningServer, serve_in_process  # noqa: E402

NATIONAL_TOKEN = "sandbox-national-token"  # noqa: S105 - the sandbox's well-known loopback token
LOCAL_TOKEN = "sandbox-local-token"  # noqa: S105 - the sandbox's documented loopback credential
BASIC = ("sandbox", "sandbox-password")
REGION = "35.76"
TIMEOUT = 10

# (method, url, keyword arguments for Session.request)
Call = tuple[str, str, dict[str, Any]]


@dataclass
class Result:
    """One endpoint's measurement."""

    name: str
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def drive(session: requests.Session, calls: list[Call]) -> float:
    """Send every call in order; seconds taken. Every response must be 2xx."""
    start = time.perf_counter()
    for method, url, kwargs in calls:
        response = session.request(method, url, timeout=TIMEOUT, **kwargs)
        assert 200 <= response.status_code < 300, (method, url, response.status_code, response.text[:300])
    return time.perf_counter() - start


def package(package_id: str) -> dict[str, Any]:
    """The sample registry's package ``package_id``."""
    return next(p for p in load_packages() if p["id"] == package_id)


def envelope(pkg: dict[str, Any]) -> dict[str, Any]:
    """A made-up national application envelope with a fresh id."""
    return {
        "id": f"MPP-{uuid.uuid4().hex[:16].upper()}",
        "service_id": pkg["id"],
        "package_version": pkg["version"],
        "region": pkg["region"],
        "submitted_at": "2026-11-02T08:30:00+07:00",
        "channel": "online",
    }


def submit_calls(url: str, pkg: dict[str, Any], n: int, key_header: str | None) -> list[Call]:
    """``n`` submit requests as the connector sends them for ``pkg`` (one valid form, distinct ids)."""
    op = pkg["local_system"]["operations"]["submit"]
    form = sample_form(pkg["form"], random.Random(1))
    calls: list[Call] = []
    for _ in range(n):
        application = envelope(pkg)
        body = build_object(op["body"], {"application": application, "form": form})
        headers = {key_header: application["id"]} if key_header else {}
        path = op["path"].replace("{application.id}", application["id"])
        calls.append((op["method"], url + path, {"json": body, "headers": headers}))
    return calls


def list_calls(url: str, pkg: dict[str, Any], n: int) -> list[Call]:
    """``n`` requests for the first page (100 records) of the package's status changes."""
    op = pkg["local_system"]["operations"]["status_changes"]
    pagination = op["pagination"]
    params = {**op.get("query", {}), pagination["size_param"]: 100}
    if pagination["style"] == "page_number":
        params[pagination["page_param"]] = pagination.get("first_page", 1)
    return [(op["method"], url + op["path"], {"params": params})] * n


def bench_national(n: int, workdir: Path) -> list[Result]:
    kwargs = {"db_path": str(workdir / "national.sqlite"), "token": NATIONAL_TOKEN, "registry_dir": str(REGISTRY)}
    server = serve_in_process("sandbox.national.app:create_app", kwargs)
    try:
        submissions = CitizenSimulator.to_url(server.url, seed=1, regions=[REGION]).submit(n)
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {NATIONAL_TOKEN}"
            listing: Call = ("GET", f"{server.url}/regions/{REGION}/applications", {"params": {"limit": 100}})
            list_s = drive(session, [listing] * n)
            acks: list[Call] = [
                ("PUT", f"{server.url}/applications/{s.id}/acknowledgement", {"json": {"local_reference": f"L-{i}"}})
                for i, s in enumerate(submissions)
            ]
            write_s = drive(session, acks)
    finally:
        server.stop()
    return [Result("national.list", n, list_s), Result("national.write", n, write_s)]


def bench_local(
    name: str, factory: str, package_id: str, n: int, prepare: Callable[[requests.Session], None]
) -> list[Result]:
    pkg = package(package_id)
    idempotency = pkg["local_system"]["idempotency"]
    key_header = idempotency.get("header") if idempotency["strategy"] == "key_header" else None
    server: RunningServer = serve_in_process(factory, {})
    try:
        with requests.Session() as session:
            prepare(session)
            writes = submit_calls(server.url, pkg, n, key_header)
            write_s = drive(session, writes)
            list_s = drive(session, list_calls(server.url, pkg, n))
    finally:
        server.stop()
    return [Result(f"{name}.list", n, list_s), Result(f"{name}.write", n, write_s)]


def bearer(session: requests.Session) -> None:
    session.headers["Authorization"] = f"Bearer {LOCAL_TOKEN}"


def basic(session: requests.Session) -> None:
    session.auth = BASIC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300, help="requests per endpoint (default 300)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    n: int = args.requests

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="sandbox-capacity-") as tmp:
        results += bench_national(n, Path(tmp))
    results += bench_local(
        "local_indonesian", "sandbox.local.rest_indonesian:create_app", f"{REGION}/akta-kelahiran", n, bearer
    )
    results += bench_local("local_cursor", "sandbox.local.rest_cursor:create_app", f"{REGION}/izin-reklame", n, basic)

    if args.json:
        out: dict[str, Any] = {r.name: round(r.per_second, 1) for r in results}
        out["requests"] = n
        print(json.dumps(out))
    else:
        print(f"{'endpoint':<24} {'requests':>9} {'seconds':>9} {'req/s':>9}")
        for r in results:
            print(f"{r.name:<24} {r.requests:>9} {r.seconds:>9.2f} {r.per_second:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
