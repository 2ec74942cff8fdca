"""A whole sync world for the drills: the sandbox national layer, the REST local styles, a ledger
(SQLite or PostgreSQL), the engine over every REST package of the sample registry — and the checks
every drill makes against the sandboxes' own truth (exactly once, in order, acknowledged).

``observed_backlog`` is what a coordinator must see during an outage. Today it reads the ledger; when the
hub API and dashboard exist, extend it (or add a sibling) to read the same facts there and compare.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from connectors.clock import ShiftedClock
from connectors.http import RateLimiter
from connectors.ledger.models import Application, StatusEvent
from connectors.ledger.store import Ledger
from connectors.ledger.types import as_utc
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sync.backoff import RetryPolicy
from connectors.sync.context import SyncContext
from connectors.sync.engine import FLOWS, ServiceResult, SyncEngine
from connectors.sync.packages import PackageSource
from hub.settings import Settings
from hub.wiring import connector_factory
from tests.conftest import REPO

REGISTRY = REPO / "registry"


def rest_style(local: dict[str, Any]) -> str:
    """'a' (honours Idempotency-Key), 'd' (the PHP style: form posts, sandbox/local/rest_form.py) or 'b'
    (lookup by reference) for a REST ``local_system``."""
    if local["idempotency"]["strategy"] == "key_header":
        return "a"
    return "d" if local["operations"]["submit"].get("body_encoding") == "form" else "b"


def rest_styles(packages: PackageSource, form: bool = False) -> dict[str, str]:
    """service id -> 'a' (honours Idempotency-Key) or 'b' (lookup by reference), for the hand-written REST
    packages; with ``form``, also 'd' for the PHP-style packages (served by ``local_rest_form``, which
    worlds without it leave out).

    Packages that adopt a template are left out of the drills' worlds: the regions adopting one template
    share its service codes (every SIPENA is ``jenis_layanan`` SKP), so each needs its own simulated system,
    and the two shared servers here serve the hand-written packages only. The demo gives every adopting
    region its own system and checks their exactly-once truth (tests/hub/test_demo.py)."""
    styles = {}
    for service_id in packages.service_ids():
        document = packages.latest(service_id)
        local = document["local_system"]
        if local["kind"] == "rest" and "extends" not in document and (form or rest_style(local) != "d"):
            styles[service_id] = rest_style(local)
    return styles


@dataclass
class World:
    """The running systems and the hub's engine over them."""

    ctx: SyncContext
    engine: SyncEngine
    national: Any  # tests.sandbox.fixtures_national.NationalServer
    local: dict[str, Any]  # style -> LocalRestServer
    services: list[str]
    # the hub's time in this world (its ledger's and context's): real time until a drill lets time pass
    clock: ShiftedClock = field(default_factory=ShiftedClock)
    results: list[ServiceResult] = field(default_factory=list)

    @property
    def ledger(self) -> Ledger:
        """The hub's ledger."""
        return self.ctx.ledger

    def let_pass(self, seconds: float) -> None:
        """``seconds`` pass for this world's hub (its backoff falls due) — for no other world or test."""
        self.clock.advance(seconds)

    def cycle(self, rounds: int = 1, flows: tuple[str, ...] = FLOWS) -> list[ServiceResult]:
        """``rounds`` sync cycles over every service; returns this call's results."""
        results = []
        for _ in range(rounds):  # the production path: one cycle over the world's services (SyncEngine.run_once)
            results.extend(self.engine.run_once(flows=flows, services=self.services))
        self.results.extend(results)
        return results

    def set_timeouts(self, seconds: float) -> None:
        """Short client timeouts (a hung request costs this, not 30 s)."""
        self.ctx.national.http.timeout = seconds
        for connector in self.ctx._connectors.values():
            if connector.client is not None:  # an HTTP kind's client (a database has none)
                connector.client.timeout = seconds

    def unthrottle(self) -> None:
        """Lift the packages' rate limits (5-10 requests/s): the sandbox takes any rate, and the drills
        prove correctness and measure the hub, not the limiter. Call after a first cycle built the connectors."""
        for connector in self.ctx._connectors.values():
            if connector.client is not None:
                connector.client.limiter = RateLimiter(None)

    def close(self) -> None:
        """Release the connectors' sessions and pools, then the ledger's connections."""
        self.ctx.close()


def build_world(
    ledger_url: str,
    national: Any,
    local_a: Any,
    local_b: Any,
    policy: RetryPolicy | None = None,
    worker: str = "w1",
    limit: int | None = None,
    local_d: Any = None,
    clock: ShiftedClock | None = None,
) -> World:
    """A world over running sandbox servers and the ledger at ``ledger_url`` (opened and migrated); with
    ``limit``, only that many REST services (every local style); with ``local_d`` (a ``local_rest_form``
    server), the PHP-style packages too. The hub keeps time with ``clock`` (default: a new ``ShiftedClock``,
    real time until ``World.let_pass``)."""
    packages = PackageSource(REGISTRY)
    styles = rest_styles(packages, form=local_d is not None)
    servers = {"a": local_a, "b": local_b, **({"d": local_d} if local_d is not None else {})}
    overrides = {packages.latest(s)["local_system"]["base_url"]: servers[style].url for s, style in styles.items()}
    settings = Settings(ledger_url=ledger_url, base_url_overrides=overrides)
    client = NationalClient(national.url, national.token)
    secrets = StaticSecrets({k: v for server in servers.values() for k, v in server.secrets.items()})
    clock = clock or ShiftedClock()
    ledger = Ledger.open(ledger_url, clock=clock)
    ctx = SyncContext(ledger, packages, client, connector_factory(settings, secrets, client))
    if policy is not None:
        ctx.policy = policy
    chosen = sorted(styles)
    if limit is not None:  # a smaller world for CI: every style, alternating
        by_style = [sorted(s for s in styles if styles[s] == style) for style in servers]
        mixed = [s for pair in zip(*by_style, strict=False) for s in pair]
        chosen = sorted(mixed[:limit])
    return World(ctx, SyncEngine(ctx, worker), national, servers, chosen, clock)


def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite ledger file under ``tmp_path``."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def ledger_url(kind: str, tmp_path: Path, request: Any) -> str:
    """A fresh ledger of ``kind`` ("sqlite" or "postgresql", from a drill's parametrisation)."""
    return sqlite_url(tmp_path) if kind == "sqlite" else str(request.getfixturevalue("pg_url"))


# --- what must hold, against the sandboxes' truth -------------------------------------------------------


def delivery_problems(world: World) -> dict[str, list[str]]:
    """Online applications not created exactly once locally, not acknowledged, or created locally out of
    submission order (per service). Empty lists everywhere: everything held."""
    truth = world.national.truth()
    online = [a for a in truth["applications"] if a["origin"] != "walk_in" and a["service_id"] in world.services]
    created: Counter[str] = Counter()
    local_order: dict[str, list[str]] = defaultdict(list)  # package id -> national ids in local creation order
    for server in world.local.values():
        local_truth = server.truth()
        created.update(local_truth["submissions"]["created_per_national_id"])
        for app in local_truth["applications"]:
            if app["national_id"] and not app["walk_in"]:
                local_order[app["package_id"]].append(app["national_id"])
    submitted = {a["id"]: (_time(a["submitted_at"]), a["id"]) for a in online}
    out_of_order = []
    for service_id, ids in local_order.items():
        expected = sorted(ids, key=lambda i: submitted.get(i, (datetime.max, i)))
        if ids != expected:
            out_of_order.append(service_id)
    return {
        "not_created_once": sorted(f"{a['id']} x{created[a['id']]}" for a in online if created[a["id"]] != 1),
        "created_but_unknown": sorted(i for i in created if i not in submitted and created[i]),
        "unacknowledged": sorted(a["id"] for a in online if a["acknowledgement"] is None),
        "out_of_submission_order": sorted(out_of_order),
    }


def event_problems(world: World, resends_allowed: bool = False) -> dict[str, list[str]]:
    """Status events not received exactly once, gaps in an application's sequence, rejections other than
    a transient out-of-sequence (which the hub retries), and national statuses behind the local ones.

    ``resends_allowed``: a fault between the national layer's answer and the ledger's record of it (a killed
    database connection) makes the hub push the same event id again, which the national layer answers
    'duplicate' and does not apply twice; then only events received zero times count."""
    truth = world.national.truth()
    mine = {a["id"] for a in truth["applications"] if a["service_id"] in world.services}
    events = [e for e in truth["events"] if e["application_id"] in mine]
    sequences: dict[str, list[int]] = defaultdict(list)
    for event in events:
        sequences[event["application_id"]].append(event["sequence"])
    local_status = {
        a["national_id"]: a["national_status"]
        for server in world.local.values()
        for a in server.truth()["applications"]
        if a["national_id"]
    }
    national_status = {a["id"]: a["status"] for a in truth["applications"]}
    return {
        "not_received_once": sorted(
            e["event_id"]
            for e in events
            if e["received_count"] < 1 or (e["received_count"] > 1 and not resends_allowed)
        ),
        "sequence_gaps": sorted(a for a, seqs in sequences.items() if seqs != list(range(1, len(seqs) + 1))),
        "rejected": sorted(
            f"{r['event_id']}: {r['reason']}"
            for r in truth["rejections"]
            if r["application_id"] in mine and r["reason"] != "out_of_sequence"
        ),
        "status_behind": sorted(i for i, s in local_status.items() if i in mine and national_status.get(i) != s),
        "under_a_wrong_service": _events_under_a_wrong_service(world),
    }


def _events_under_a_wrong_service(world: World) -> list[str]:
    """Status events the ledger stored under another service than their application's (issue 18)."""
    with world.ledger.engine.connect() as conn:
        return sorted(
            conn.scalars(
                select(StatusEvent.event_id)
                .join(Application, Application.national_id == StatusEvent.national_id)
                .where(StatusEvent.service_id != Application.service_id)
            )
        )


def held(problems: dict[str, list[str]]) -> bool:
    """True when no problem list has an entry."""
    return not any(problems.values())


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- what a coordinator sees ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    """One service's backlog as the ledger holds it (the facts the dashboard shows)."""

    waiting: int  # applications not yet acknowledged (pending, sending or delivered-not-acknowledged)
    oldest_submitted_at: datetime | None
    head_attempts: int  # attempts of the application at the head of the queue
    head_next_attempt_at: datetime | None
    events_waiting: int


def observed_backlog(world: World) -> dict[str, Backlog]:
    """Per service, the backlog a coordinator must see during an outage.

    Reads the ledger. The hook for the hub API / dashboard: when they exist, read the same per-service
    figures there and assert they equal this (the ledger is their source of truth)."""
    view: dict[str, Backlog] = {}
    with world.ledger.engine.connect() as conn:
        for service_id in world.services:
            apps = conn.execute(
                select(Application.submitted_at, Application.attempts, Application.next_attempt_at)
                .where(
                    Application.service_id == service_id,
                    Application.delivery.in_(("pending", "sending", "delivered")),
                )
                .order_by(Application.submitted_at, Application.national_id)
            ).all()
            events = conn.execute(
                select(StatusEvent.event_id).where(StatusEvent.service_id == service_id, StatusEvent.state == "pending")
            ).all()
            head = apps[0] if apps else None
            view[service_id] = Backlog(
                waiting=len(apps),
                oldest_submitted_at=as_utc(head.submitted_at) if head else None,
                head_attempts=int(head.attempts) if head else 0,
                head_next_attempt_at=as_utc(head.next_attempt_at) if head else None,
                events_waiting=len(events),
            )
    return view


def ledger_snapshot(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every ledger table, sorted (to prove a failed run changed nothing)."""
    from connectors.ledger.models import Base

    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    with ledger.engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            snapshot[name] = sorted((tuple(str(v) for v in row) for row in conn.execute(table.select())), key=str)
    return snapshot


def sync_environment(world: World, ledger_url: str) -> dict[str, str]:
    """The MPPHUB_* environment (and the secrets) with which ``mpphub sync`` in a subprocess talks to this
    world's sandbox, the way ``mpphub sandbox up`` prints it."""
    import json
    import os

    packages = world.ctx.packages
    overrides = {}
    for service_id in world.services:
        local = packages.latest(service_id)["local_system"]
        overrides[local["base_url"]] = world.local[rest_style(local)].url
    secrets = {k: v for server in world.local.values() for k, v in server.secrets.items()}
    return {
        **os.environ,
        **secrets,
        "MPPHUB_LEDGER_URL": ledger_url,
        "MPPHUB_REGISTRY": str(REGISTRY),
        "MPPHUB_NATIONAL_URL": world.national.url,
        "MPPHUB_NATIONAL_TOKEN": world.national.token,
        "MPPHUB_BASE_URL_OVERRIDES": json.dumps(overrides),
    }


def leaks(world: World, log_text: str) -> list[str]:
    """Unmasked NIKs, phone numbers (those citizens submitted, from the local systems' truth) and secrets in
    the given log text, the runs' error messages and every ledger row — except the payload an undelivered
    application (or its dead letter) keeps until delivery, by design."""
    from tests.drills.pii_scan import Known, PiiScanner, harvest

    known = Known(secrets={v for s in world.local.values() for v in s.secrets.values() if v != "sandbox"})
    known.secrets.add(world.national.token)
    for server in world.local.values():
        known.update(harvest(server.truth()))
    scanner = PiiScanner(known)
    scanner.scan_text("logs", log_text)
    scanner.scan_text("run errors", "\n".join(str(r.errors) for r in world.results))
    scanner.scan_database(world.ledger.engine)
    kept = {("ledger.application", "payload"), ("ledger.dead_letter", "record")}
    return [str(leak) for leak in scanner.leaks if (leak.source, leak.where.rsplit(" ", 1)[-1]) not in kept]
