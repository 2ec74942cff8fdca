"""Services of one cycle side by side (issue 12): a worker thread per service at a time, at most
``SyncContext.concurrency`` at once and at most ``SyncContext.per_host`` on one local host, so a slow
region never holds up the others and no regional server gets more than a couple of the hub's services at
once (each package's own rate limit still applies, per connector).

Why threads: a cycle is latency-bound — at 50 ms per call, ~70 of an idle service's ~98 ms is waiting
on HTTP (``bench/national_cycle.py``) — and the connectors, the ledger and requests are blocking code.
Threads overlap the waits without rewriting them for asyncio, and one process keeps one ledger pool and
one package cache. Processes scale CPU too; that is Airflow's part (several Celery workers split the
nation by region, each running this).

What stays as it was: a service's flows run one after another in its one thread, under their stream
leases (each taken at the flow's first write), so per-service order and every delivery guarantee are those of the sequential engine. Each
thread has its own national client (``requests.Session`` is not meant to be shared between threads); the
connectors are per package, so a service's connector is only ever used by that service's thread.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.kinds import kind_of

if TYPE_CHECKING:
    from connectors.sync.engine import ServiceResult, SyncEngine

Progress = Callable[[int, int, "ServiceResult"], None]


def host_of(package: dict[str, Any]) -> str:
    """The local system a package loads, as its kind says (``LocalConnector.host_key``: an HTTP kind's base
    URL host, a database's region)."""
    return kind_of(package).host_key(package)


class _ThreadEngine(threading.local):
    """Each worker thread's own engine twin (None until the thread's first service)."""

    engine: SyncEngine | None = None


def interleaved_by_host(services: Sequence[str], hosts: dict[str, str]) -> list[str]:
    """One service of each host in turn (services of a host keep their order), so that threads waiting
    for a busy host's slot do not fill the pool while other hosts have work."""
    queues: dict[str, list[str]] = {}
    for service_id in services:
        queues.setdefault(hosts[service_id], []).append(service_id)
    order: list[str] = []
    for round_ in range(max((len(q) for q in queues.values()), default=0)):
        order.extend(q[round_] for q in queues.values() if round_ < len(q))
    return order


def run_side_by_side(
    engine: SyncEngine,
    services: Sequence[str],
    flows: Sequence[str],
    progress: Progress | None = None,
    held: dict[str, tuple[str, datetime]] | None = None,
) -> list[ServiceResult]:
    """``engine.run_service`` for every service, several at once; results in the order of ``services``."""
    from connectors.sync.engine import SyncEngine

    ctx = engine.ctx
    hosts = {service_id: host_of(ctx.packages.latest(service_id)) for service_id in services}
    per_host = {host: threading.BoundedSemaphore(max(ctx.per_host, 1)) for host in set(hosts.values())}
    local = _ThreadEngine()
    done_lock = threading.Lock()
    done = [0]

    def run(service_id: str) -> ServiceResult:
        twin = local.engine
        if twin is None:  # one engine per thread, over the shared ledger, packages and connectors
            twin = local.engine = SyncEngine(dataclasses.replace(ctx, national=ctx.national.clone()), engine.worker)
        with per_host[hosts[service_id]]:
            result = twin.run_service(service_id, flows, held)
        if progress is not None:
            with done_lock:
                done[0] += 1
                progress(done[0], len(services), result)
        return result

    pool = ThreadPoolExecutor(max(ctx.concurrency, 1), thread_name_prefix="sync-service")
    futures: dict[str, Future[ServiceResult]] = {}
    try:
        for service_id in interleaved_by_host(services, hosts):
            futures[service_id] = pool.submit(run, service_id)
        results = [futures[service_id].result() for service_id in services]
    except BaseException:
        # Ctrl-C or a ledger failure: start nothing more; what runs finishes its current flow's step
        for future in futures.values():
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
