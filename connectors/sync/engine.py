"""Running the flows for a set of services: stream leases, run records, and the error classes mapped to
what happens next (retriable: the next cycle; fatal: this package stops with its reason; record-level:
already dead-lettered by the flow; lease lost: another worker took the stream over, this one stops it).

Each flow runs under its stream's lease, fenced (``connectors/ledger/leases.py``): every ledger write of
the flow checks and renews it, the flow renews it between steps, and stops taking work after the run's
time budget (``SyncContext.run_seconds``)."""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from connectors.errors import ConnectorError, FatalError, RetriableError, StreamHeld
from connectors.kinds import kind_of
from connectors.ledger.leases import LeaseLost
from connectors.ledger.store import CursorMoved
from connectors.sync import catalogue, inbound, outbound, walk_in
from connectors.sync.context import SyncContext
from connectors.sync.cycle import CycleView
from connectors.sync.region_reads import region_key

log = logging.getLogger("mpphub.sync")

FLOWS = ("catalogue", "outbound", "walk_in", "inbound")


@dataclass
class ServiceResult:
    """What one cycle did for one service."""

    service_id: str
    region: str
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    fatal: str | None = None
    skipped: list[str] = field(default_factory=list)
    # flow -> (owner, until) of the lease another worker holds on it (why the flow was skipped)
    held_by: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    # flows this worker stopped because another worker took them over while they ran (not an error)
    lost: list[str] = field(default_factory=list)


# Counts that mean "looked, nothing new": the catalogue entry was already current, a status read re-read
# (the look-back window) what was stored before. A run with only these is idle and writes no run row.
_NOTHING_NEW = {"catalogue.unchanged", "status_pull.read", "status_pull.duplicates", "status_pull.unchanged"}


def _idle(counts: Counter[str]) -> bool:
    return not any(value for key, value in counts.items() if key not in _NOTHING_NEW)


def default_worker_id() -> str:
    """host:pid — unique among the workers of one ledger."""
    return f"{socket.gethostname()}:{os.getpid()}"


class SyncEngine:
    """One worker's engine. Several engines (processes, machines) may share one PostgreSQL ledger."""

    def __init__(self, ctx: SyncContext, worker: str | None = None) -> None:
        self.ctx = ctx
        self.worker = worker or default_worker_id()
        if not ctx.worker:
            ctx.worker = self.worker

    def _steps(self, flow: str, service_id: str, region: str) -> list[tuple[str, Callable[[], Counter[str]]]]:
        package = self.ctx.packages.latest(service_id)
        ctx = self.ctx
        if flow == "catalogue":
            if catalogue.current(ctx, service_id):
                return []  # the national catalogue has this version: nothing to send this cycle
            return [("catalogue", lambda: catalogue.publish(ctx, service_id))]
        if flow == "outbound":
            return [
                ("pull", lambda: outbound.pull(ctx, service_id, region)),
                ("deliver", lambda: outbound.deliver(ctx, service_id)),
            ]
        if flow == "walk_in":
            declared = kind_of(package).declares_walk_ins(package["local_system"])
            return [("walk_in", lambda: walk_in.register(ctx, service_id, region))] if declared else []
        if flow == "inbound":
            return [
                ("status_pull", lambda: inbound.pull(ctx, service_id, region)),
                ("push", lambda: inbound.push(ctx, service_id)),
            ]
        raise ValueError(f"unknown flow {flow!r}")

    def run_service(
        self, service_id: str, flows: Sequence[str] = FLOWS, held: dict[str, tuple[str, datetime]] | None = None
    ) -> ServiceResult:
        """Run the flows of one service once. ``held``: the streams other workers held when the cycle began
        (``Ledger.streams_held_by_others``; read here when not given) — those flows are skipped at once."""
        region = self.ctx.packages.index["packages"][service_id]["region"]
        result = ServiceResult(service_id, region)
        if held is None:  # a call of its own, not part of a cycle: a cycle of one service, ended as one
            self.ctx.feed_reads.new_cycle()  # and the region feed it reads is read again
            ended: list[ServiceResult] | None = None
            try:
                self._run_service(service_id, region, result, flows, self._held_now(service_id))
                ended = [result]
            finally:
                self._end_cycle(ended)  # its idle runs, and its region's hour of history: one transaction
            return result
        return self._run_service(service_id, region, result, flows, held)

    def _held_now(self, service_id: str) -> dict[str, tuple[str, datetime]]:
        return self.ctx.ledger.streams_held_by_others(self.worker, f":{service_id}")

    def _run_service(
        self,
        service_id: str,
        region: str,
        result: ServiceResult,
        flows: Sequence[str],
        held: dict[str, tuple[str, datetime]],
    ) -> ServiceResult:
        for flow in flows:
            stream = f"{flow}:{service_id}"
            if stream in held:
                result.skipped.append(flow)  # another worker has it: per-service order is kept
                result.held_by[flow] = held[stream]
                continue
            steps = self._steps(flow, service_id, region)
            if not steps:
                continue  # e.g. walk-ins of a package that declares none: no lease, no health row, nothing to run
            # taken at the flow's first write, not before it looks: an idle flow takes no lease (leases.py)
            pending = self.ctx.ledger.pending(stream, self.worker, self.ctx.lease_seconds, self.ctx.run_seconds)
            started_at = self.ctx.clock.now()
            counts: Counter[str] = Counter()
            outcome, error = "ok", None
            try:
                with self.ctx.ledger.lazily_fenced(pending):
                    for step, call in steps:
                        step_counts = call()
                        counts.update({f"{step}.{k}": v for k, v in step_counts.items()})
            except StreamHeld:
                outcome = "held"  # another worker has it: per-service order is kept, it does the work
            except CursorMoved:
                outcome = "ok"  # another worker stored the same read: nothing lost
            except LeaseLost as exc:
                # this run outlived its lease and another worker took the stream over: every write after
                # that was refused, so nothing is doubled; stop this flow cleanly, the holder goes on
                outcome = "lease_lost"
                result.lost.append(flow)
                log.warning("%s %s: stopped, %s", service_id, flow, exc)
            except RetriableError as exc:
                outcome, error = "retry", str(exc)
            except FatalError as exc:
                outcome, error = "fatal", str(exc)
                result.fatal = f"{flow}: {exc}"
            except ConnectorError as exc:
                outcome, error = "retry", str(exc)
            except SQLAlchemyError:
                raise  # the ledger itself failed: not this service's fault, the run stops (database drill)
            except Exception as exc:
                # A region's bad data is that region's problem: any other exception (a hostile value the
                # code did not foresee) is a recorded failure of this service, retried next cycle, never a
                # crash that leaves every later service without a run. Type only: the text may hold data.
                log.error("%s %s: unexpected %s", service_id, flow, type(exc).__name__)
                log.debug("traceback of the unexpected error", exc_info=True)  # masked by the log filter
                outcome, error = "retry", f"unexpected error handling this service's data: {type(exc).__name__}"
            finally:
                lease = pending.taken
                if outcome == "held":
                    result.skipped.append(flow)
                    holder = self.ctx.ledger.lease_holder(stream)
                    if holder is not None:
                        result.held_by[flow] = holder
                else:
                    # one transaction; an idle run is only noted for its stream's health row, written with
                    # the other idle runs of the cycle in one go (issue 12)
                    self.ctx.ledger.record_run(
                        region, service_id, flow, self.worker, started_at, outcome, dict(counts), error, _idle(counts)
                    )
                if lease is not None:
                    self.ctx.ledger.release_stream(stream, self.worker, lease.generation)
            if outcome == "held":
                continue
            result.counts.update(counts)
            if error:
                result.errors.append(f"{flow}: {error}")
                log.warning("%s %s %s: %s", service_id, flow, outcome, error)
            if outcome == "fatal":
                break  # stop this package and say why; the others go on
        return result

    def run_once(
        self,
        region: str | None = None,
        service: str | None = None,
        flows: Sequence[str] = FLOWS,
        progress: Callable[[int, int, ServiceResult], None] | None = None,
        services: Sequence[str] | None = None,
    ) -> list[ServiceResult]:
        """One cycle over the selected services (by ``region`` / ``service``, or exactly ``services``): one
        after another, or ``ctx.concurrency`` side by side (``connectors/sync/concurrency.py``); results in
        service order either way."""
        services = list(services) if services is not None else self.ctx.packages.service_ids(region, service)
        # one read for the cycle instead of one per flow; a stream taken after it is found at its first write
        held = self.ctx.ledger.streams_held_by_others(self.worker)
        self.ctx.feed_reads.new_cycle()  # each region feed is read once in this cycle
        # cursors and "anything due?" of every service, in a few statements (connectors/sync/cycle.py)
        # (and the cursor of each region's national feed, read once per region: region_reads.py)
        regions: set[str] = set()
        if self.ctx.region_reads:
            entries = self.ctx.packages.index["packages"]
            regions = {region_key(entries[s]["region"]) for s in services if s in entries}
        self.ctx.cycle = CycleView.read(self.ctx.ledger.engine, [*services, *sorted(regions)])
        results: list[ServiceResult] = []
        ended: list[ServiceResult] | None = None  # the results once the cycle ran to its end
        try:
            if self.ctx.concurrency > 1 and len(services) > 1:
                from connectors.sync.concurrency import run_side_by_side

                results = run_side_by_side(self, services, flows, progress, held)
            else:
                for index, service_id in enumerate(services, start=1):
                    outcome = self.run_service(service_id, flows, held)
                    results.append(outcome)
                    if progress:
                        progress(index, len(services), outcome)
            ended = results
        finally:
            self.ctx.cycle = None
            self._end_cycle(ended)  # the cycle's idle runs and its regions' hour of history: one transaction
        return results

    def _end_cycle(self, results: Sequence[ServiceResult] | None) -> None:
        """Write what a cycle leaves for its end in one transaction (``Ledger.end_cycle``): its idle runs
        and, after a cycle that ran to its end (``results`` not None), the rows of this hour in
        ``region_history`` of the regions of ``results`` (``connectors/ledger/history.py``), with each
        region's failed flow runs of the cycle. A cycle that failed (``results`` None) still writes its
        idle runs, but no history: a failed ledger has nothing to sample."""
        failures: Counter[str] | None = None
        if results is not None:
            failures = Counter({result.region: 0 for result in results})
            for result in results:
                failures[result.region] += len(result.errors)
        self.ctx.ledger.end_cycle(failures)
