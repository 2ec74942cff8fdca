"""The in-memory database of a simulated REST system: applications, their status history, what was
submitted how often, remembered idempotency keys, and the officers who work on it all.

Thread-safe through one re-entrant lock: request handlers, the officers' background pace and control
calls all touch it. Handlers hold ``store.lock`` around check-then-create sequences (idempotency).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from registry.synthetic.forms import sample_form
from sandbox.local.catalogue import Service
from sandbox.local.clock import Clock, format_time
from sandbox.local.mapping import build_object

WALK_IN_CHANCE = 0.2  # per walk-in service and officers' round under the background pace


@dataclass
class LocalApplication:
    """One application as the local system holds it (``body`` in the system's own field names)."""

    key: int  # creation order; also the keyset-pagination key
    reference: str
    service: Service
    national_id: str | None
    channel: str | None
    body: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    status: str
    walk_in: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class StatusChange:
    """One entry of the status history (``key`` is the event id: increasing, like its timestamp)."""

    key: int
    reference: str
    service: Service
    national_id: str | None
    status: str
    changed_at: datetime
    note: str


class LocalStore:
    """Everything one simulated REST system holds."""

    def __init__(self, services: dict[str, Service], seed: int = 0) -> None:
        self.services = services
        self.lock = threading.RLock()
        self.clock = Clock()
        self.officer_rng = random.Random(seed)  # noqa: S311 - reproducible simulation, not cryptography
        self.counter_rng = random.Random(seed + 1)  # noqa: S311 - walk-in forms, independent of the officers
        self.applications: list[LocalApplication] = []
        self.by_reference: dict[str, LocalApplication] = {}
        self.changes: list[StatusChange] = []
        self.created: Counter[str] = Counter()  # applications created per national id (duplicates show here)
        self.received: Counter[str] = Counter()  # valid submit requests per national id, replays included
        self.replayed = 0
        self.idempotency: dict[str, tuple[str, int, dict[str, Any]]] = {}  # key -> (body hash, status, response)

    def create(
        self,
        service: Service,
        body: dict[str, Any],
        national_id: str | None,
        channel: str | None,
        walk_in: bool = False,
        attachments: list[dict[str, Any]] | None = None,
    ) -> LocalApplication:
        """Register one application at its first status, as the local system does on creation."""
        with self.lock:
            now = self.clock.now()
            key = len(self.applications) + 1
            prefix = service.family.reference_prefix
            reference = f"{prefix}-{service.code}-{now.astimezone(service.family.zone):%Y%m%d}-{key:05d}"
            application = LocalApplication(
                key, reference, service, national_id, channel, body, now, now, service.ladder.initial, walk_in
            )
            application.attachments.extend(attachments or [])
            self.applications.append(application)
            self.by_reference[reference] = application
            if national_id is not None:
                self.created[national_id] += 1
            self._record(application, service.ladder.initial, now)
            return application

    def _record(self, application: LocalApplication, status: str, when: datetime) -> StatusChange:
        change = StatusChange(
            len(self.changes) + 1,
            application.reference,
            application.service,
            application.national_id,
            status,
            when,
            application.service.ladder.note(status),
        )
        application.status, application.updated_at = status, when
        self.changes.append(change)
        return change

    def officers_step(self, rounds: int = 1, package_id: str | None = None) -> list[StatusChange]:
        """``rounds`` rounds of the officers: in each, every unfinished application (of ``package_id``, or
        all) moves at most one status on. Seeded: the same actions give the same statuses."""
        made: list[StatusChange] = []
        with self.lock:
            for _ in range(rounds):
                for application in list(self.applications):
                    if package_id is not None and application.service.package_id != package_id:
                        continue
                    following = application.service.ladder.next(application.status, self.officer_rng)
                    if following is not None:
                        made.append(self._record(application, following, self.clock.now()))
        return made

    def create_walk_ins(self, count: int = 1, package_id: str | None = None) -> list[LocalApplication]:
        """``count`` counter applications for every service that declares walk-ins (or only ``package_id``):
        a valid form, in the local record shape the package's submit mapping describes, with no national id."""
        made: list[LocalApplication] = []
        with self.lock:
            for service in self.services.values():
                if service.walk_in_channel is None or package_id not in (None, service.package_id):
                    continue
                for _ in range(count):
                    made.append(self._walk_in(service))
        return made

    def _walk_in(self, service: Service) -> LocalApplication:
        package = service.package
        envelope = {
            "id": None,
            "service_id": service.package_id,
            "package_version": package.get("version"),
            "region": package.get("region"),
            "submitted_at": format_time(self.clock.now(), service.family.zone),
            "channel": service.walk_in_channel,
        }
        form = sample_form(package["form"], self.counter_rng, region=package.get("region"))
        body = build_object(service.operations["submit"]["body"], {"application": envelope, "form": form})
        return self.create(service, body, None, service.walk_in_channel, walk_in=True)

    def pace_tick(self) -> None:
        """One beat of the background pace: an officers' round, and now and then a walk-in."""
        with self.lock:
            self.officers_step(1)
            for service in self.services.values():
                if service.walk_in_channel is not None and self.counter_rng.random() < WALK_IN_CHANCE:
                    self._walk_in(service)

    def truth(self) -> dict[str, Any]:
        """What the system holds, in neutral field names (GET /_sandbox/truth)."""
        with self.lock:
            return {
                "applications": [_application_truth(a) for a in self.applications],
                "status_changes": [change_truth(c) for c in self.changes],
                "submissions": {
                    "created_per_national_id": dict(self.created),
                    "received_per_national_id": dict(self.received),
                    "idempotent_replays": self.replayed,
                },
                "walk_ins": [a.reference for a in self.applications if a.walk_in],
            }


def _application_truth(application: LocalApplication) -> dict[str, Any]:
    return {
        "reference": application.reference,
        "package_id": application.service.package_id,
        "service_code": application.service.code,
        "national_id": application.national_id,
        "channel": application.channel,
        "walk_in": application.walk_in,
        "status": application.status,
        "national_status": application.service.ladder.national(application.status),
        "created_at": format_time(application.created_at, UTC),
        "updated_at": format_time(application.updated_at, UTC),
        "body": application.body,
        "attachments": application.attachments,
    }


def change_truth(change: StatusChange) -> dict[str, Any]:
    """A status change in neutral field names (truth and control answers)."""
    return {
        "event_id": change.key,
        "reference": change.reference,
        "package_id": change.service.package_id,
        "service_code": change.service.code,
        "national_id": change.national_id,
        "status": change.status,
        "national_status": change.service.ladder.national(change.status),
        "changed_at": format_time(change.changed_at, UTC),
        "note": change.note,
    }
