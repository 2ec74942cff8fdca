"""The task callables of the generated DAGs. Imported by the DAG file, so kept cheap: the connectors
(and with them SQLAlchemy, requests, jsonschema) are imported inside the callables, at run time only.

Configuration is the hub's: ``MPPHUB_*`` environment variables of the worker (docs/operations.md, "Settings"); secrets
through Airflow Connections with the environment as fallback (``mpphub_airflow.secrets``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mpphub_airflow.outcomes import judge, raise_for
from mpphub_airflow.plan import registry_dir

if TYPE_CHECKING:
    from connectors.sync.context import SyncContext

log = logging.getLogger("mpphub.airflow")

REGION_FLOWS = ("outbound", "walk_in", "inbound")
_REPO = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"MPPHUB_{name}") or default


def worker_id() -> str:
    """Who holds a stream lease: ``airflow:<host>:<pid>`` (unique per worker process)."""
    import socket

    return f"airflow:{socket.gethostname()}:{os.getpid()}"


def _seconds(name: str, default: str, minimum: float) -> float:
    """A duration setting (``MPPHUB_<name>``), refused with a message that names it when it is not one."""
    from connectors.errors import FatalError  # imported at run time: DAG parsing stays light

    text = _env(name, default)
    try:
        value = float(text)
    except ValueError:
        raise FatalError(f"MPPHUB_{name} must be a number of seconds, not {text[:40]!r}") from None
    if not minimum <= value <= 86400:
        raise FatalError(f"MPPHUB_{name} must be between {minimum:g} and 86400 seconds")
    return value


def _count(name: str, default: str, maximum: int) -> int:
    """A whole-number setting (``MPPHUB_<name>``, 1 to ``maximum``), refused with a message naming it."""
    from connectors.errors import FatalError

    text = _env(name, default)
    if not text.strip().isdigit() or not 1 <= int(text) <= maximum:
        raise FatalError(f"MPPHUB_{name} must be a whole number from 1 to {maximum}, not {text[:40]!r}")
    return int(text)


def _national_reads() -> str:
    """``MPPHUB_NATIONAL_READS``: ``region`` (default: one national read per region and cycle) or ``service``."""
    from connectors.errors import FatalError

    text = _env("NATIONAL_READS", "region")
    if text not in ("region", "service"):
        raise FatalError(f"MPPHUB_NATIONAL_READS must be region or service, not {text[:40]!r}")
    return text


@contextmanager
def sync_context() -> Iterator[SyncContext]:
    """The engine's context from the worker's environment; the ledger is closed afterwards."""
    from connectors.errors import FatalError
    from connectors.masking import install_log_masking
    from connectors.production import DEVELOPMENT_HASH_KEY, SANDBOX_NATIONAL_TOKEN, production_problems
    from connectors.wiring import build_context
    from mpphub_airflow.secrets import AirflowConnectionSecrets

    install_log_masking()
    national_token = _env("NATIONAL_TOKEN", SANDBOX_NATIONAL_TOKEN)
    hash_key = _env("HASH_KEY", DEVELOPMENT_HASH_KEY)
    refused = production_problems(_env("ENV", "development"), _env("ALLOWED_HOSTS", ""), national_token, hash_key)
    if refused:
        raise FatalError("; ".join(refused))  # mapped to a failed task without retries
    overrides = os.environ.get("MPPHUB_BASE_URL_OVERRIDES")
    ctx = build_context(
        ledger_url=_env("LEDGER_URL", f"sqlite:///{_REPO / '.mpphub' / 'ledger.db'}"),
        registry=registry_dir(),
        national_url=_env("NATIONAL_URL", "http://127.0.0.1:8700"),
        national_token=national_token,
        hash_key=hash_key,
        secrets=AirflowConnectionSecrets(),
        base_url_overrides=json.loads(overrides) if overrides else {},
        allowed_hosts=_env("ALLOWED_HOSTS", ""),
        lease_seconds=_seconds("LEASE_SECONDS", "120", minimum=5.0),
        run_seconds=_seconds("RUN_SECONDS", "300", minimum=1.0),
        concurrency=_count("SYNC_CONCURRENCY", "1", 64),
        per_host=_count("SYNC_PER_HOST", "2", 64),
        region_reads=_national_reads() == "region",
    )
    try:
        yield ctx
    finally:
        ctx.close()  # its connectors' pools and sessions, then the ledger


def run_services(services: list[str], flows: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Run ``flows`` for a batch of services as one engine cycle (side by side with
    ``MPPHUB_SYNC_CONCURRENCY``); error classes mapped to task outcomes (``outcomes.py``)."""
    from connectors.sync.engine import SyncEngine

    with sync_context() as ctx:
        engine = SyncEngine(ctx, worker_id())
        results = engine.run_once(flows=list(flows), services=services)  # the batch is one cycle
        for result in results:
            log.info(
                "%s: %s%s",
                result.service_id,
                ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items())) or "nothing to do",
                f" (skipped, another worker holds: {', '.join(result.skipped)})" if result.skipped else "",
            )
    verdict = judge(results)
    if verdict.record_level:
        log.warning("%d record(s) quarantined as dead letters (see `mpphub replay`)", verdict.record_level)
    for reason in verdict.fatal:
        log.error("fatal: %s", reason)
    for reason in verdict.retriable:
        log.warning("retriable: %s", reason)
    return raise_for(verdict)


def sync_services(services: list[str]) -> dict[str, Any]:
    """A region DAG's task: outbound, walk-in and inbound for a batch of the region's services."""
    return run_services(services, REGION_FLOWS)


def publish_catalogue(services: list[str]) -> dict[str, Any]:
    """The catalogue DAG's task: push the latest version of each service to the national catalogue."""
    return run_services(services, ("catalogue",))


def reconcile_regions(regions: list[str], days: int = 2, today: date | None = None) -> dict[str, Any]:
    """The reconciliation DAG's task: compare the last ``days`` days per region; drift is reported
    (a warning per (service, day) and the count in the XCom), it does not fail the task. Errors reaching
    the national layer are retriable (the task retries); others fail it."""
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from connectors.errors import FatalError, RetriableError
    from connectors.sync.reconcile import reconcile

    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    drift: dict[str, list[str]] = {}
    with sync_context() as ctx:
        for region in regions:
            try:
                found = reconcile(ctx, region, first, last)
            except RetriableError as exc:
                raise AirflowException(f"{region}: retriable: {exc}") from None
            except FatalError as exc:
                raise AirflowFailException(f"{region}: fatal, not retried: {exc}") from None
            for item in found:
                log.warning("drift %s", item.describe())
            drift[region] = [item.describe() for item in found]
            log.info("%s %s..%s: %d drift(s)", region, first, last, len(found))
    return {"first": first.isoformat(), "last": last.isoformat(), "drift": drift}
