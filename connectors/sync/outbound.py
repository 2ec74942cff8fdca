"""Outbound delivery: national applications -> the region's local system, exactly once, in order.

1. pull: page through the national feed; each page is stored with the cursor in one transaction;
2. deliver: per application, in submission order — validate against the form of its package version,
   record 'sending', write (with the national id as idempotency key, or after a lookup by it when the
   local system cannot honour keys and an earlier attempt's outcome is unknown), record the local
   reference, acknowledge nationally.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

from connectors.errors import FatalError, LostReply, RecordError, RetriableError
from connectors.http import HttpClient
from connectors.local_connector import Files, LocalConnector
from connectors.sync.backoff import answered_again
from connectors.sync.context import SyncContext, keep_going
from connectors.sync.packages import new_application
from connectors.sync.region_reads import pull_region


def pull(ctx: SyncContext, service_id: str, region: str) -> Counter[str]:
    """Store every new national application of a service; returns counts. By default the region's feed
    is read once per cycle for all its services (``connectors/sync/region_reads.py``)."""
    if ctx.region_reads:
        return pull_region(ctx, service_id, region)
    counts: Counter[str] = Counter()
    package = ctx.packages.latest(service_id)
    while keep_going(ctx):
        cursor = ctx.cursor(service_id, "outbound")
        page = ctx.national.new_applications(region, service_id, cursor, ctx.page_size)
        items = [new_application(r, service_id, region, package, ctx.hash_key) for r in page.items]
        stored = ctx.ledger.store_new_applications(region, service_id, items, cursor, page.next_cursor)
        if stored:
            ctx.touch(service_id, "deliveries")  # deliver them in this cycle, whatever the cycle's view said
        counts["pulled"] += stored
        if not page.has_more or not page.items:
            return counts
    return counts


def deliver(ctx: SyncContext, service_id: str) -> Counter[str]:
    """Deliver and acknowledge due applications in submission order. A retriable failure stops the
    queue (head-of-line: order is kept); a record-level failure dead-letters that one and goes on.

    Deliveries stay strictly one at a time and in order; what does not decide that order runs beside
    them (``_Beside``): the files of the next applications are fetched ahead, and acknowledgements are
    sent after the delivery is recorded and settled before the next page is read."""
    counts: Counter[str] = Counter()
    if not ctx.may_have(service_id, "deliveries") or not ctx.ledger.due_deliveries(service_id, 1):
        return counts  # nothing due (most services, most cycles): no lease, no threads, no extra HTTP session
    ctx.ledger.hold_stream()  # before the queue is read for work: the lease decides who delivers
    beside = _Beside(ctx)
    try:
        while True:
            if not beside.settle(counts):
                return counts
            due = ctx.ledger.due_deliveries(service_id, ctx.page_size)
            if not due:
                return counts
            for index, app in enumerate(due):
                if not keep_going(ctx):
                    beside.settle(counts)
                    counts["deferred"] += 1  # this run's time is up: the rest next run, in the same order
                    return counts
                beside.fetch_ahead(due[index : index + 1 + FILES_AHEAD])
                national_id = app["national_id"]
                try:
                    if app["delivery"] == "delivered":
                        beside.acknowledge(national_id, str(app["local_reference"]))
                        continue
                    _deliver_resolving_lost_replies(ctx, app, counts, beside)
                except RetriableError as exc:
                    _retry_later(ctx, app, exc, counts)
                    beside.settle(counts)
                    return counts
                except RecordError as exc:
                    ctx.ledger.dead_letter_application(national_id, str(exc))
                    counts["dead"] += 1
                if not beside.collect(counts):
                    beside.settle(counts)
                    return counts
    finally:
        beside.close()


FILES_AHEAD = 3  # applications whose files are fetched ahead (bounded: memory stays flat)
FILE_THREADS = 2  # an application has several files: fetching two at a time keeps ahead of the deliveries
ACKS_IN_FLIGHT = 32  # acknowledgements sent but not yet recorded (bounded, as above)
# done acknowledgements recorded in one ledger transaction (one per delivery was 2.0 s of 11.7 s in a
# profiled 1,000-application outbound run, bench/sync_throughput.py's set-up)
ACKS_RECORDED_TOGETHER = 16


class _ThreadFetcher(threading.local):
    """Each files thread's own national client (None until its first fetch)."""

    client: HttpClient | None = None


class _Beside:
    """Work beside the deliveries, on threads of their own, each with its own HTTP session:
    fetching files ahead (read-only) and acknowledging nationally (idempotent; an application is
    'delivered' in the ledger before its acknowledgement leaves, so a crash only means it is sent again)."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self._files_pool = ThreadPoolExecutor(FILE_THREADS, thread_name_prefix="outbound-files")
        self._acks_pool = ThreadPoolExecutor(1, thread_name_prefix="outbound-acks")
        self._fetchers = _ThreadFetcher()  # one national session per files thread
        self._national = ctx.national.clone()
        self._files: dict[str, Future[list[tuple[dict[str, Any], bytes]]]] = {}
        self._acks: list[tuple[str, Future[None]]] = []

    def fetch_ahead(self, apps: list[dict[str, Any]]) -> None:
        """Start fetching the files of these applications (those still to deliver, with files to send)."""
        for app in apps:
            national_id = str(app["national_id"])
            if national_id in self._files or app["delivery"] not in ("pending", "sending"):
                continue
            payload = app["payload"]
            try:
                package = self.ctx.packages.version(str(app["service_id"]), str(app["package_version"]))
            except KeyError:
                continue  # the delivery itself reports it
            connector = self.ctx.connector(package)
            if not connector.fetches_attachments:
                continue
            if not isinstance(payload, dict) or not payload["application"].get("attachments"):
                continue
            self._files[national_id] = self._files_pool.submit(self._fetch, connector, payload["application"])

    def _fetch(self, connector: LocalConnector, envelope: dict[str, Any]) -> Files:
        fetcher = self._fetchers.client
        if fetcher is None:
            fetcher = self._fetchers.client = self.ctx.national.http.clone()
        return connector.fetch_files(envelope, fetcher)

    def files(self, national_id: str) -> list[tuple[dict[str, Any], bytes]] | None:
        """The fetched files of an application (raising what fetching raised), or None if not fetched ahead."""
        future = self._files.pop(national_id, None)
        return None if future is None else future.result()

    def acknowledge(self, national_id: str, reference: str) -> None:
        """Send the acknowledgement beside the deliveries (waits while too many are in flight)."""
        if len(self._acks) >= ACKS_IN_FLIGHT:
            wait([self._acks[0][1]])
        self._acks.append((national_id, self._acks_pool.submit(self._national.acknowledge, national_id, reference)))

    def collect(self, counts: Counter[str]) -> bool:
        """Record the acknowledgements that are done, several in one transaction: once
        ``ACKS_RECORDED_TOGETHER`` are, or at once when one failed; False when one must be retried later.
        Recording later loses nothing: an acknowledgement not yet recorded is only sent again."""
        done = [(n, f) for n, f in self._acks if f.done()]
        if len(done) < ACKS_RECORDED_TOGETHER and all(f.exception() is None for _, f in done):
            return True
        # by identity: a future that finishes now stays in flight, for the next collect or settle
        recorded = {id(f) for _, f in done}
        self._acks = [(n, f) for n, f in self._acks if id(f) not in recorded]
        return self._record(done, counts)

    def settle(self, counts: Counter[str]) -> bool:
        """Wait for every acknowledgement in flight and record them; False when one must be retried later."""
        done, self._acks = self._acks, []
        wait([f for _, f in done])
        return self._record(done, counts)

    def _record(self, done: list[tuple[str, Future[None]]], counts: Counter[str]) -> bool:
        acknowledged: list[str] = []
        refused: FatalError | None = None
        all_through = True
        for national_id, future in done:
            try:
                future.result()
            except RetriableError as exc:
                # only the acknowledgement is missing: it is idempotent, keep trying (later, in order)
                retry_at = self.ctx.policy.next_attempt(2, exc.retry_after, now=self.ctx.clock.now())
                self.ctx.ledger.schedule_retry(national_id, str(exc), retry_at, False)
                counts["retry"] += 1
                all_through = False
            except RecordError as exc:
                refused = refused or FatalError(
                    f"the national layer refused the acknowledgement of {national_id}: {exc}"
                )
            else:
                acknowledged.append(national_id)
        self.ctx.ledger.mark_acknowledged_many(acknowledged)
        counts["acknowledged"] += len(acknowledged)
        if refused is not None:
            raise refused
        return all_through

    def close(self) -> None:
        """Stop the threads (what is in flight finishes; unrecorded acknowledgements are sent again later)."""
        for future in self._files.values():
            future.cancel()
        self._files_pool.shutdown(wait=True)
        self._acks_pool.shutdown(wait=True)


def _retry_later(ctx: SyncContext, app: dict[str, object], exc: RetriableError, counts: Counter[str]) -> None:
    national_id = str(app["national_id"])
    state, attempts = ctx.ledger.delivery_state(national_id)
    counts["retry"] += 1
    now = ctx.clock.now()  # the ledger's clock: it stamped created_at and compares next_attempt_at
    if state == "delivered":  # only the acknowledgement is missing: it is idempotent, keep trying
        ctx.ledger.schedule_retry(national_id, str(exc), ctx.policy.next_attempt(2, exc.retry_after, now=now), False)
        return
    created_at = app.get("created_at")
    # the same unusable answer as last time: the system is up and will say it again (backoff.py's budget)
    answered = answered_again(exc, app.get("last_error"))
    taken_in_at = created_at if isinstance(created_at, datetime) else None
    if ctx.policy.exhausted(attempts, taken_in_at, answered, now=now):
        # the local system never took it: the queue behind it waits for its replay (order kept, issue 13)
        ctx.ledger.dead_letter_application(national_id, f"gave up after {attempts} attempts: {exc}", holds_queue=True)
        counts["dead"] += 1
        return
    # a write that may have arrived (now or in an earlier attempt) stays 'sending': look up / reuse the key
    unknown = exc.outcome_unknown or app["delivery"] == "sending"
    ctx.ledger.schedule_retry(
        national_id, str(exc), ctx.policy.next_attempt(max(attempts, 1), exc.retry_after, now=now), unknown
    )


# After a lost reply to a write (a timeout, a dropped connection, a cut answer: the outcome is unknown) the
# delivery is tried again inside the same cycle after a short backoff — looking the application up first, or
# resending with the same idempotency key — so one lost reply costs seconds, not a whole cycle, and the queue
# behind it waits in its order (issue 12). Only a LostReply: a busy answer (429, 5xx) or a system that is
# down needs the policy's backoff, and retrying those at once would only hammer it. Bounded: at most this
# many extra tries per application per cycle, then the usual retry schedule.
LOST_REPLY_RETRIES_IN_CYCLE = 2
LOST_REPLY_BACKOFF_SECONDS = (0.5, 2.0)


def _deliver_resolving_lost_replies(
    ctx: SyncContext, app: dict[str, object], counts: Counter[str], beside: _Beside
) -> None:
    """``_deliver_one``, tried again in this cycle (bounded) while a lost reply leaves its outcome unknown."""
    for attempt in range(LOST_REPLY_RETRIES_IN_CYCLE + 1):
        try:
            _deliver_one(ctx, app, counts, beside)
            return
        except LostReply as exc:
            if exc.outcome_unknown:
                # the write may have arrived: from now on this delivery is 'sending' whatever the queue read
                # said, so a later failure (of the lookup, say) never lets a resend skip the lookup
                app["delivery"] = "sending"
            if not exc.outcome_unknown or attempt == LOST_REPLY_RETRIES_IN_CYCLE or not keep_going(ctx):
                raise
            counts["lost_reply_retried_in_cycle"] += 1
            time.sleep(LOST_REPLY_BACKOFF_SECONDS[min(attempt, len(LOST_REPLY_BACKOFF_SECONDS) - 1)])


class _UploadRecord:
    """The ledger's per-file upload record of one application, as the rest connector's ``UploadLog``."""

    def __init__(self, ctx: SyncContext, national_id: str) -> None:
        self.ledger = ctx.ledger
        self.national_id = national_id

    def uploaded(self) -> dict[int, str]:
        """position -> sha256 of the files recorded as uploaded."""
        return self.ledger.uploaded_files(self.national_id)

    def record(self, position: int, meta: dict[str, Any], reference: str) -> None:
        """One file uploaded: recorded at once (a fenced write, in its own transaction)."""
        self.ledger.record_upload(
            self.national_id, position, str(meta.get("requirement_id", "")), str(meta["sha256"]), reference
        )


def _deliver_one(ctx: SyncContext, app: dict[str, object], counts: Counter[str], beside: _Beside) -> None:
    national_id = str(app["national_id"])
    payload = app["payload"]
    if not isinstance(payload, dict):
        raise RecordError("the ledger holds no payload for this application")
    envelope, form = payload["application"], payload["form"]
    service_id, version = str(app["service_id"]), str(app["package_version"])
    try:
        package = ctx.packages.version(service_id, version)
    except KeyError:
        raise RecordError(f"package version {version} of {service_id} is not in the registry") from None
    problems = ctx.packages.form_problems(service_id, version, form)
    if problems:
        raise RecordError(f"form data does not fit {service_id} {version}: {'; '.join(problems[:5])}")
    connector = ctx.connector(package)
    # every attempt counts, a look-up too: otherwise a system that stays down never backs off further
    # and never reaches the retry budget (the outage drill caught this)
    claim = ctx.ledger.mark_sending(national_id)
    if claim is None:
        counts["taken_elsewhere"] += 1  # delivered by another worker since the queue was read
        return
    # files uploaded after the create (attachments.mode multipart) are recorded one by one: a later attempt
    # uploads exactly those not recorded yet (a kind that sends no files after the create never reads it)
    uploads = _UploadRecord(ctx, national_id)
    # decided from the row as it is now (the claim), not from the queue's earlier read
    if claim.previous == "sending" and not connector.honours_idempotency_keys:
        # an earlier attempt may have arrived: look before writing again
        reference = connector.lookup(envelope)
        if reference is not None:
            counts["found_by_lookup"] += 1
            # the create arrived, but its reply (or the process) may have been lost before every file was
            # uploaded: send the missing ones before the application counts as delivered
            sent = connector.upload_missing(envelope, form, reference, beside.files(national_id), uploads)
            if sent:
                counts["files_uploaded_after_lookup"] += sent
            ctx.ledger.mark_delivered(national_id, reference)
            beside.acknowledge(national_id, reference)
            return
    # the files fetched ahead (None: not fetched, the connector fetches them if it sends any)
    reference = connector.submit(envelope, form, beside.files(national_id), uploads)
    ctx.ledger.mark_delivered(national_id, reference)
    counts["delivered"] += 1
    beside.acknowledge(national_id, reference)
