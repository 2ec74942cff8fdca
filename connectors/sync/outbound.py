"""Outbound delivery: national applications -> the region's local system, exactly once, in order.

1. pull: page through the national feed; each page is stored with the cursor in one transaction;
2. deliver: per application, in submission order — validate against the form of its package version,
   record 'sending', write (with the national id as idempotency key, or after a lookup by it when the
   local system cannot honour keys and an earlier attempt's outcome is unknown), record the local
   reference, acknowledge nationally.
"""

from __future__ import annotations

from collections import Counter

from connectors.errors import FatalError, RecordError, RetriableError
from connectors.ledger.store import NewApplication
from connectors.records import parse_time
from connectors.sync.context import SyncContext
from connectors.sync.packages import masked_identifiers, subject_hash


def pull(ctx: SyncContext, service_id: str, region: str) -> Counter[str]:
    """Store every new national application of a service; returns counts."""
    counts: Counter[str] = Counter()
    package = ctx.packages.latest(service_id)
    while True:
        cursor = ctx.ledger.cursor(service_id, "outbound")
        page = ctx.national.new_applications(region, service_id, cursor, ctx.page_size)
        items = []
        for record in page.items:
            envelope, form = record["application"], record["form"]
            nik_masked, phone_masked = masked_identifiers(package, form)
            items.append(
                NewApplication(
                    national_id=envelope["id"],
                    service_id=service_id,
                    region=region,
                    package_version=envelope["package_version"],
                    submitted_at=parse_time(envelope["submitted_at"]),
                    payload=record,
                    subject_hash=subject_hash(package, form, ctx.hash_key),
                    status=envelope.get("status", "submitted"),
                    nik_masked=nik_masked,
                    phone_masked=phone_masked,
                )
            )
        counts["pulled"] += ctx.ledger.store_new_applications(region, service_id, items, cursor, page.next_cursor)
        if not page.has_more or not page.items:
            return counts


def deliver(ctx: SyncContext, service_id: str) -> Counter[str]:
    """Deliver and acknowledge due applications in submission order. A retriable failure stops the
    queue (head-of-line: order is kept); a record-level failure dead-letters that one and goes on."""
    counts: Counter[str] = Counter()
    while True:
        due = ctx.ledger.due_deliveries(service_id, ctx.page_size)
        if not due:
            return counts
        for app in due:
            national_id = app["national_id"]
            try:
                if app["delivery"] == "delivered":
                    _acknowledge(ctx, national_id, app["local_reference"], counts)
                    continue
                _deliver_one(ctx, app, counts)
            except RetriableError as exc:
                _retry_later(ctx, app, exc, counts)
                return counts
            except RecordError as exc:
                ctx.ledger.dead_letter_application(national_id, str(exc))
                counts["dead"] += 1


def _retry_later(ctx: SyncContext, app: dict[str, object], exc: RetriableError, counts: Counter[str]) -> None:
    national_id = str(app["national_id"])
    state, attempts = ctx.ledger.delivery_state(national_id)
    counts["retry"] += 1
    if state == "delivered":  # only the acknowledgement is missing: it is idempotent, keep trying
        ctx.ledger.schedule_retry(national_id, str(exc), ctx.policy.next_attempt(2, exc.retry_after), False)
        return
    if attempts >= ctx.policy.max_attempts:
        ctx.ledger.dead_letter_application(national_id, f"gave up after {attempts} attempts: {exc}")
        counts["dead"] += 1
        return
    # a write that may have arrived (now or in an earlier attempt) stays 'sending': look up / reuse the key
    unknown = exc.outcome_unknown or app["delivery"] == "sending"
    ctx.ledger.schedule_retry(
        national_id, str(exc), ctx.policy.next_attempt(max(attempts, 1), exc.retry_after), unknown
    )


def _deliver_one(ctx: SyncContext, app: dict[str, object], counts: Counter[str]) -> None:
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
    ctx.ledger.mark_sending(national_id)
    if app["delivery"] == "sending" and not connector.honours_idempotency_keys:
        # an earlier attempt may have arrived: look before writing again
        reference = connector.lookup(envelope)
        if reference is not None:
            counts["found_by_lookup"] += 1
            ctx.ledger.mark_delivered(national_id, reference)
            _acknowledge(ctx, national_id, reference, counts)
            return
    reference = connector.submit(envelope, form)
    ctx.ledger.mark_delivered(national_id, reference)
    counts["delivered"] += 1
    _acknowledge(ctx, national_id, reference, counts)


def _acknowledge(ctx: SyncContext, national_id: str, reference: object, counts: Counter[str]) -> None:
    try:
        ctx.national.acknowledge(national_id, str(reference))
    except RecordError as exc:
        raise FatalError(f"the national layer refused the acknowledgement of {national_id}: {exc}") from None
    ctx.ledger.mark_acknowledged(national_id)
    counts["acknowledged"] += 1
