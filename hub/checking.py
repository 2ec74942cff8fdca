"""A dry run of one package against a region's real local system (``mpphub check``).

Each step says what it tried and what it found, so a regional team can fix its package before it is
published. Read-only by default: it validates the package, checks the host policy and the credentials,
reads the first page of the status feed (and of the walk-in feed), and looks up an application that
does not exist. With ``write=True`` it also submits ONE synthetic test application (made-up data from the
sandbox's form generator, a ``CHECK-`` national id) and looks it up again.

Nothing here prints a form value or a secret: steps report counts, codes, field paths and references.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.errors import ConnectorError, FatalError, RecordError, RetriableError
from connectors.kinds import CONNECTOR_KINDS
from connectors.records import BadRecord, ChangeRecord
from connectors.secrets import SecretResolver, for_package
from connectors.url_policy import HostPolicy, host_policy
from registry.document import DocumentError, load_document
from registry.secret_scope import secret_namespace
from registry.validate import check_composition, check_document, compose_package

OK, FAILED, SKIPPED, WARNING = "ok", "failed", "skipped", "warning"


@dataclass
class Step:
    """One step of the check and what it found."""

    name: str
    outcome: str
    detail: str


@dataclass
class CheckReport:
    """All steps; ``ok`` when none failed."""

    package_id: str | None
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed (warnings and skips are fine)."""
        return all(step.outcome != FAILED for step in self.steps)

    def add(self, name: str, outcome: str, detail: str) -> Step:
        """Record a step."""
        step = Step(name, outcome, detail)
        self.steps.append(step)
        return step


def _secret_refs(local: dict[str, Any]) -> list[str]:
    """Every secret name the package's local system refers to (``secret_ref`` and ``*_ref`` keys)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if (key == "secret_ref" or key.endswith("_ref")) and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in local.items() if k != "operations"} | {"auth": local.get("auth", {})})
    return sorted(set(found))


def _first_page(pages: Iterator[list[Any]]) -> list[Any]:
    """The first page of a feed (or nothing), without reading further."""
    for page in pages:
        return page
    return []


def _kind(exc: ConnectorError) -> str:
    """What the sync would do about it: retriable, fatal or record (the branches of connectors/errors.py)."""
    for kind, name in ((RetriableError, "retriable"), (FatalError, "fatal"), (RecordError, "record")):
        if isinstance(exc, kind):
            return name
    return type(exc).__name__


class PackageCheck:
    """Runs the steps for one package file against ``local_url``."""

    def __init__(
        self,
        path: Path,
        local_url: str,
        secrets: SecretResolver,
        allowed_hosts: str = "",
        write: bool = False,
        seed: int | None = None,
    ) -> None:
        self.path = path
        self.local_url = local_url
        self.secrets = secrets
        self.allowed_hosts = allowed_hosts
        self.write = write
        self.rng = random.Random(seed)  # noqa: S311 - synthetic test data, not secrets

    def run(self) -> CheckReport:
        """Every step in order; a failed prerequisite skips what depends on it."""
        try:
            doc = load_document(self.path).data
        except DocumentError as exc:
            report = CheckReport(None)
            report.add("package", FAILED, str(exc))
            return report
        report = CheckReport(doc.get("id") if isinstance(doc.get("id"), str) else None)
        if "extends" in doc:  # an overlay: check what it composes to, with its template (docs/templates.md)
            composition = compose_package(self.path, doc)
            problems = check_composition(composition, self.path)
            doc = composition.doc if composition.doc is not None else doc
        else:
            problems = check_document(self.path, doc)
        if problems:
            shown = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
            more = f" (and {len(problems) - 5} more: run mpphub validate)" if len(problems) > 5 else ""
            report.add("package", FAILED, f"{len(problems)} problem(s): {shown}{more}")
            return report
        local = doc["local_system"]
        report.add("package", OK, f"{doc['id']} {doc['version']} is valid ({local['kind']} local system)")
        if not self._host_allowed(report):
            return report
        if not self._credentials(report, doc):
            return report
        try:
            connector = self._connector(doc)
        except ConnectorError as exc:
            report.add("connect", FAILED, str(exc))
            return report
        try:
            self._step(report, "status feed", lambda: self._status_feed(doc, connector))
            if "walk_ins" in local.get("operations", {}) or "walk_ins" in local.get("tables", {}):
                self._step(report, "walk-in feed", lambda: self._walk_ins(doc, connector))
            else:
                report.add("walk-in feed", SKIPPED, "the package declares no walk-ins")
            has_lookup = "lookup" in local.get("operations", {}) or local["kind"] == "sql"
            if has_lookup:
                self._step(report, "lookup", lambda: self._lookup_absent(doc, connector))
            else:
                report.add("lookup", SKIPPED, "the package declares no lookup operation")
            if self.write:
                self._step(report, "submit", lambda: self._submit(doc, connector, has_lookup))
            else:
                report.add("submit", SKIPPED, "read-only check: add --write to submit one test application")
        finally:
            close = getattr(connector, "close", None)
            if close is not None:
                close()
        return report

    @staticmethod
    def _step(report: CheckReport, name: str, call: Callable[[], tuple[str, str]]) -> None:
        try:
            outcome, detail = call()
        except ConnectorError as exc:
            outcome, detail = FAILED, f"{_kind(exc)}: {exc}"
        report.add(name, outcome, detail)

    def _policy(self) -> HostPolicy:
        """The hub's policy: MPPHUB_ALLOWED_HOSTS when set, else the secure default (MPPHUB_ALLOW_LOOPBACK
        for a local system on this machine): a dry run reaches only what a sync would."""
        return host_policy(self.allowed_hosts)

    def _host_allowed(self, report: CheckReport) -> bool:
        target = self.local_url
        if not target.startswith(("http://", "https://")):  # a database URL: check its host
            target = f"https://{urlsplit(target).hostname or ''}"
        try:
            self._policy()(target)
        except FatalError as exc:
            report.add("host policy", FAILED, str(exc))
            return False
        where = "MPPHUB_ALLOWED_HOSTS" if self.allowed_hosts.strip() else "the default policy"
        report.add("host policy", OK, f"the local system's address is allowed ({where})")
        return True

    def _credentials(self, report: CheckReport, doc: dict[str, Any]) -> bool:
        local = doc["local_system"]
        if local["kind"] == "sql":
            report.add("credentials", SKIPPED, "sql: the database URL given with --local-url is used")
            return True
        refs = _secret_refs(local)
        # only the package region's namespace is ever looked up (the validator already refused other names)
        scoped = for_package(self.secrets, doc)
        missing = []
        for name in refs:
            try:
                scoped.get(name)
            except FatalError:
                missing.append(name)
        if missing:
            report.add("credentials", FAILED, f"not set: {', '.join(missing)} (environment variables)")
            return False
        namespace = secret_namespace(str(doc.get("region", "")))
        report.add(
            "credentials", OK, f"{len(refs)} secret(s) resolved in {namespace}: {', '.join(refs) or 'none needed'}"
        )
        return True

    def _connector(self, doc: dict[str, Any]) -> Any:
        kind = doc["local_system"]["kind"]
        cls = CONNECTOR_KINDS[kind]
        policy = self._policy()
        if kind == "rest":
            return cls(doc, self.secrets, base_url=self.local_url, url_policy=policy)
        return cls(doc, self.secrets, database_url=self.local_url, url_policy=policy)

    @staticmethod
    def _status_feed(doc: dict[str, Any], connector: Any) -> tuple[str, str]:
        page = _first_page(connector.status_changes(None))
        changes = [r for r in page if isinstance(r, ChangeRecord)]
        bad = [r for r in page if isinstance(r, BadRecord)]
        status_map: dict[str, str] = doc["local_system"]["status_map"]
        unknown = sorted({c.status for c in changes if c.status not in status_map})
        notes = []
        if bad:
            notes.append(f"{len(bad)} unreadable ({'; '.join(sorted({b.reason for b in bad})[:3])})")
        if unknown:
            notes.append(f"status codes missing from status_map: {', '.join(unknown[:10])}")
        detail = f"first page: {len(page)} record(s), {len(changes)} readable"
        if notes:
            return WARNING, f"{detail}; {'; '.join(notes)}"
        return OK, detail + ("" if page else " (empty feed: nothing to map yet)")

    @staticmethod
    def _walk_ins(doc: dict[str, Any], connector: Any) -> tuple[str, str]:
        import jsonschema_rs

        validator = jsonschema_rs.validator_for(doc["form"])
        page = _first_page(connector.walk_ins(None))
        invalid = sorted(
            {"$." + ".".join(map(str, e.instance_path)) for r in page for e in validator.iter_errors(r.form)}
        )
        detail = f"first page: {len(page)} walk-in(s)"
        if invalid:
            return WARNING, f"{detail}; the mapped forms do not fit the package's form at {', '.join(invalid[:8])}"
        return OK, detail

    @staticmethod
    def _envelope(doc: dict[str, Any], national_id: str) -> dict[str, Any]:
        return {
            "id": national_id,
            "service_id": doc["id"],
            "package_version": doc["version"],
            "region": doc["region"],
            "submitted_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "channel": "web",
            "status": "submitted",
            "attachments": [],
        }

    def _lookup_absent(self, doc: dict[str, Any], connector: Any) -> tuple[str, str]:
        probe = f"CHECK-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20].upper()}"
        found = connector.lookup(self._envelope(doc, probe))
        if found is not None:
            return FAILED, f"a lookup of an id that cannot exist ({probe}) answered reference {found}"
        return OK, f"an unknown national id ({probe}) is reported as not found"

    def _submit(self, doc: dict[str, Any], connector: Any, has_lookup: bool) -> tuple[str, str]:
        from faker import Faker

        from sandbox.national.citizens import FormGenerationError, valid_form

        fake = Faker("id_ID")
        fake.seed_instance(self.rng.getrandbits(32))
        try:
            form = valid_form(doc, self.rng, fake, datetime.now(UTC).date())
        except FormGenerationError as exc:
            return FAILED, f"could not make test data for the form: {exc}"
        national_id = f"CHECK-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20].upper()}"
        envelope = self._envelope(doc, national_id)
        reference = connector.submit(envelope, form)
        detail = (
            f"test application {national_id} created as local reference {reference} (synthetic data, no attachments)"
        )
        if has_lookup:
            found = connector.lookup(envelope)
            if found != reference:
                return FAILED, f"{detail}; but a lookup by its national id answered {found!r}"
            detail += "; found again by lookup"
        return OK, detail + ". Remove it from the local system if it keeps test data apart."
