"""A dry run of one package against a region's real local system (``mpphub check``).

Each step says what it tried and what it found, so a regional team can fix its package before it is
published. Read-only by default: it validates the package, checks the host policy and the credentials,
reads the first page of the status feed (and of the walk-in feed), reads every time and cursor on it with
the package's ``date_format`` and zone and converts each cursor to ISO 8601 and back (``date round-trip``),
sends a read the system must refuse (a wrong credential) and shows how the refusal is classified
(``error answer``), looks up an application that does not exist, and builds the submit request of a
synthetic test application exactly as the connector would, without sending it (``submit encoding``).
With ``write=True`` it also submits that ONE test application (made-up data from the sandbox's form
generator, a ``CHECK-`` national id) and looks it up again.

Nothing here prints a form value or a secret: steps report counts, codes, field names, paths and
references, and any local value they quote (a time that does not parse, a reference) is masked
(connectors/masking.py).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.errors import BusyAnswer, ConnectorError, FatalError, RecordError, RetriableError
from connectors.kinds import LocalConnector, WiringInputs, kind_of
from connectors.mapping import search
from connectors.masking import scrub_text
from connectors.records import BadRecord, ChangeRecord, canonical_cursor, local_cursor, parse_time
from connectors.secrets import SecretResolver, for_package
from connectors.url_policy import HostPolicy, host_policy
from hub.request_capture import Captured, CaptureSession, body_field_names
from registry.document import DocumentError, load_document
from registry.rules.request_encodings import DEFAULT_ENCODING, MEDIA_TYPES, content_type_fits
from registry.secret_scope import secret_namespace
from registry.synthetic.forms import FormGenerationError, valid_form
from registry.time_zones import package_zone
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


# The national layer refuses a status change dated further ahead than this (docs/local-systems.md): a time
# read in the wrong zone shows here, before the first sync is refused.
FUTURE_TOLERANCE = timedelta(minutes=5)
# What every secret is replaced with for the "error answer" probe: a value no real credential has.
WRONG_CREDENTIAL = "mpphub-check-wrong-credential"
# The cursor sent by the "error answer" probe of a package without credentials: neither a time nor an id.
BAD_CURSOR = "mpphub-check-not-a-cursor"
# requests' own default headers: not what the package declares, so not worth showing
_DEFAULT_HEADERS = {"user-agent", "accept-encoding", "accept", "connection", "content-length"}
MAX_NAMES_SHOWN = 40
_ANSWERED_AS_SUCCESS = " (a refusal that reads as success)"


def _shown(value: Any) -> str:
    """A local value for a step's detail: quoted, cut to 64 characters, NIK- and phone-like digits masked."""
    return scrub_text(repr(value if isinstance(value, (str, int, float)) else type(value).__name__)[:66])


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    return shown + (f" (and {len(names) - MAX_NAMES_SHOWN} more)" if len(names) > MAX_NAMES_SHOWN else "")


class _WrongSecrets:
    """Every secret resolves to a value no credential has: the probe of the "error answer" step."""

    def get(self, name: str) -> str:
        """The same wrong value for every name."""
        return WRONG_CREDENTIAL


def _is_time_text(value: Any, date_format: str | None, zone: tzinfo) -> bool:
    """Whether a cursor value is a time (in the package's format, else ISO 8601) rather than an id."""
    if not isinstance(value, str) or value.strip().isdigit():
        return False
    try:
        parse_time(value, zone, date_format)
    except (ValueError, OverflowError):
        return False
    return True


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
        self._application: tuple[dict[str, Any], dict[str, Any]] | str | None = None

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
        kind = kind_of(doc)
        skips = kind.dry_run_skips  # the steps that do not apply to this kind, and why
        try:
            feed = self._step(report, "status feed", lambda: self._status_feed(doc, connector))
            if "date round-trip" in skips:
                report.add("date round-trip", SKIPPED, skips["date round-trip"])
            elif feed.outcome == FAILED:
                report.add("date round-trip", SKIPPED, "the status feed could not be read")
            else:
                self._step(report, "date round-trip", lambda: self._dates(doc, connector))
            if kind.declares_walk_ins(local):
                self._step(report, "walk-in feed", lambda: self._walk_ins(doc, connector))
            else:
                report.add("walk-in feed", SKIPPED, "the package declares no walk-ins")
            if "error answer" in skips:
                report.add("error answer", SKIPPED, skips["error answer"])
            else:
                self._step(report, "error answer", lambda: self._error_answer(doc))
            has_lookup = kind.supports_lookup(local)
            if has_lookup:
                self._step(report, "lookup", lambda: self._lookup_absent(doc, connector))
            else:
                report.add("lookup", SKIPPED, "the package declares no lookup operation")
            if "submit encoding" in skips:
                report.add("submit encoding", SKIPPED, skips["submit encoding"])
            else:
                self._step(report, "submit encoding", lambda: self._submit_encoding(doc))
            if self.write:
                self._step(report, "submit", lambda: self._submit(doc, connector, has_lookup))
            else:
                report.add("submit", SKIPPED, "read-only check: add --write to submit one test application")
        finally:
            connector.close()
        return report

    @staticmethod
    def _step(report: CheckReport, name: str, call: Callable[[], tuple[str, str]]) -> Step:
        try:
            outcome, detail = call()
        except ConnectorError as exc:
            outcome, detail = FAILED, f"{_kind(exc)}: {exc}"
        return report.add(name, outcome, detail)

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
        skips = kind_of(doc).dry_run_skips
        if "credentials" in skips:
            report.add("credentials", SKIPPED, skips["credentials"])
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

    def _connector(self, doc: dict[str, Any], secrets: SecretResolver | None = None) -> LocalConnector:
        """The package's connector at ``--local-url`` under the hub's host policy (``secrets``: others)."""
        inputs = WiringInputs(secrets=secrets or self.secrets, url_policy=self._policy(), address=self.local_url)
        return kind_of(doc).from_package(doc, inputs)

    @staticmethod
    def _status_feed(doc: dict[str, Any], connector: LocalConnector) -> tuple[str, str]:
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
    def _walk_ins(doc: dict[str, Any], connector: LocalConnector) -> tuple[str, str]:
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

    def _national_id(self) -> str:
        """A fresh national id no local system can hold (``CHECK-`` and 20 random hex digits)."""
        return f"CHECK-{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20].upper()}"

    def _lookup_absent(self, doc: dict[str, Any], connector: LocalConnector) -> tuple[str, str]:
        probe = self._national_id()
        found = connector.lookup(self._envelope(doc, probe))
        if found is not None:
            return FAILED, (
                f"a lookup of an id that cannot exist ({probe}) answered reference {_shown(found)}: a resend after "
                "a lost reply would take that application for this one (check lookup.reference_path and query)"
            )
        return OK, f"an unknown national id ({probe}) is reported as not found"

    def _test_application(self, doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | str:
        """The synthetic test application (envelope, form), made once so that what ``submit encoding``
        shows is what ``submit`` sends; a text saying why when the form admits no test data."""
        if self._application is None:
            # registry.synthetic needs only core dependencies (no Faker, no sandbox): a production install
            # can write a test application
            try:
                form = valid_form(doc, self.rng, datetime.now(UTC).date())  # valid for doc["form"]
            except FormGenerationError as exc:
                self._application = f"could not make test data for the form: {exc}"
            else:
                self._application = (self._envelope(doc, self._national_id()), form)
        return self._application

    def _submit(self, doc: dict[str, Any], connector: LocalConnector, has_lookup: bool) -> tuple[str, str]:
        application = self._test_application(doc)
        if isinstance(application, str):
            return FAILED, application
        envelope, form = application
        national_id = envelope["id"]
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

    def _submit_encoding(self, doc: dict[str, Any]) -> tuple[str, str]:
        """Build the test application's submit request with the connector's own code (body mapping,
        ``body_encoding``, fixed headers, idempotency header, Content-Type) and show what the local
        system would receive: field names and Content-Type, never a value. Nothing is sent."""
        application = self._test_application(doc)
        if isinstance(application, str):
            return FAILED, application
        envelope, form = application
        op = doc["local_system"]["operations"]["submit"]
        encoding = op.get("body_encoding", DEFAULT_ENCODING)
        connector = self._connector(doc)
        if connector.client is None:  # pragma: no cover - a kind without HTTP skips this step (dry_run_skips)
            return SKIPPED, f"{connector.kind}: no HTTP request to show"
        connector.client.session = CaptureSession()  # prepares, never sends (and holds no credential)
        try:
            connector.submit(envelope, form, files=[])
        except Captured as captured:
            request = captured.request
        else:  # pragma: no cover - submit always makes its request first
            return FAILED, "the connector built no submit request"
        finally:
            connector.close()
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        content_type = request.headers.get("Content-Type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        if media != MEDIA_TYPES[encoding] and not (
            encoding != "multipart" and content_type_fits(encoding, content_type)
        ):
            return FAILED, f"body_encoding {encoding} but the request says Content-Type {content_type or 'none'}"
        try:
            names = body_field_names(content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            return FAILED, f"the encoded {encoding} body cannot be read back: {type(exc).__name__}"
        data = {"application": envelope, "form": form}
        empty = [target for target, source in op["body"].items() if search(source, data) is None]
        others = sorted(n for n in request.headers if n.lower() not in _DEFAULT_HEADERS | {"content-type"})
        where = urlsplit(str(request.url)).path
        detail = (
            f"{request.method} {where} as {content_type} ({encoding}), {len(body)} bytes, {len(names)} field(s): "
            f"{_names(names)}"
        )
        if empty:
            detail += f"; mapped but empty in the test form (sent as no field): {_names(empty)}"
        detail += f"; headers: {', '.join(others) or 'none'} besides auth ({doc['local_system']['auth']['type']})"
        detail += "; values not shown"
        if op.get("attachments"):
            detail += f"; the test application has no files ({op['attachments']['mode']} not exercised)"
        sent = "sent by the submit step" if self.write else "not sent (read-only: --write submits it)"
        return OK, f"{detail}; {sent}"

    def _error_answer(self, doc: dict[str, Any]) -> tuple[str, str]:
        """Send reads the system must refuse and show how the refusal is classified: the first page of the
        status feed (and a lookup, when declared) with every secret replaced by a wrong value; without
        credentials, the feed with a cursor that is neither a time nor an id. A refusal that reads as
        success (a feed, a "not found") is what made a wrong key look like an empty feed (issue 18)."""
        local = doc["local_system"]
        declares = bool(local.get("envelope") or local.get("errors"))
        if local["auth"]["type"] == "none":
            if not declares:
                return SKIPPED, "no credentials to get wrong, and no envelope or errors rules to read a refusal with"
            probe = self._connector(doc)
            try:
                outcome, detail = self._refused(
                    "the status feed with a cursor that is no time and no id",
                    lambda: _first_page(probe.status_changes(BAD_CURSOR)),
                    probe.refusal_shape("status_changes"),
                )
            finally:
                probe.close()
            if outcome == FAILED and detail.endswith(_ANSWERED_AS_SUCCESS):
                # a lenient system may read any cursor: nothing proves this was a refusal
                return WARNING, f"{detail}; could not make the system refuse anything (no credentials to get wrong)"
            return outcome, detail
        probe = self._connector(doc, _WrongSecrets())
        try:
            results = [
                self._refused(
                    "the status feed with a wrong credential",
                    lambda: _first_page(probe.status_changes(None)),
                    probe.refusal_shape("status_changes"),
                )
            ]
            if kind_of(doc).supports_lookup(local):
                envelope = self._envelope(doc, self._national_id())
                shape = probe.refusal_shape("lookup")
                results.append(self._refused("a lookup with a wrong credential", lambda: probe.lookup(envelope), shape))
        finally:
            probe.close()
        rank = {FAILED: 0, WARNING: 1, OK: 2}
        outcome = min((o for o, _ in results), key=rank.__getitem__)
        return outcome, "; ".join(d for _, d in results)

    @staticmethod
    def _refused(what: str, call: Callable[[], Any], envelope: dict[str, Any] | None) -> tuple[str, str]:
        """How one request the system must refuse came back: ok when refused and classified as the sync
        would act on it (fatal, record), a warning when it would be retried, failed when it reads as
        success or cannot be read. ``envelope``: the answer envelope the request was read with."""
        try:
            result = call()
        except (FatalError, RecordError) as exc:
            return OK, f"{what}: refused, read as {_kind(exc)} ({exc})"
        except BusyAnswer as exc:
            return WARNING, (
                f"{what}: refused, read as retriable: the sync would retry it every cycle instead of reporting it; "
                f"an errors rule with action fatal says what it is ({exc})"
            )
        except ConnectorError as exc:
            return FAILED, f"{what}: the answer cannot be read ({_kind(exc)}: {exc})"
        if isinstance(result, list):
            got = f"a feed page of {len(result)} record(s)"
        else:
            got = "not found" if result is None else f"reference {_shown(result)}"
        hint = (
            f"its envelope's success expression ({envelope['success']}) accepts it"
            if envelope
            else "declare local_system.envelope so that a refusal inside a 2xx reads as one (docs/local-systems.md)"
        )
        return FAILED, f"{what}: read as success ({got}); {hint}{_ANSWERED_AS_SUCCESS}"

    def _dates(self, doc: dict[str, Any], connector: LocalConnector) -> tuple[str, str]:
        """Read every ``changed_at`` and cursor of the feed's first page as the package declares its times
        (``date_format``, zone), and send each time cursor through ISO 8601 and back to the local format:
        the text must come back unchanged, or the hub would ask the local system for another moment."""
        local = doc["local_system"]
        date_format: str | None = local.get("date_format")
        zone = package_zone(doc)
        declared = f"{date_format or 'ISO 8601'} in {zone.tzname(None)}"
        changed_field, cursor_field = connector.status_field_paths()
        page = connector.raw_status_page()
        if not page:
            return SKIPPED, f"the first page of the status feed is empty: no times to read yet ({declared})"
        problems: list[str] = []
        times = ids = 0
        horizon = datetime.now(UTC) + FUTURE_TOLERANCE
        for raw in page:
            changed = search(changed_field, raw) if changed_field else None
            if changed_field:
                try:
                    moment = parse_time(changed, zone, date_format)
                except (ValueError, OverflowError, TypeError):
                    problems.append(f"changed_at {_shown(changed)} does not read as {declared}")
                else:
                    if moment > horizon:
                        ahead = int((moment - datetime.now(UTC)).total_seconds() // 60)
                        problems.append(
                            f"changed_at {_shown(changed)} reads as {moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}, "
                            f"{ahead} min in the future: is the zone right (time_zone)?"
                        )
            cursor = search(cursor_field, raw)
            problem = self._cursor_problem(cursor, cursor_field == changed_field, date_format, zone, declared)
            if problem:
                problems.append(problem)
            elif _is_time_text(cursor, date_format, zone) or cursor_field == changed_field:
                times += 1
            else:
                ids += 1
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            return (
                FAILED,
                f"first page: {len(problems)} problem(s) in {len(page)} record(s): {'; '.join(problems[:3])}{more}",
            )
        cursors = f"{times} time cursor(s) round-trip unchanged (local -> ISO 8601 -> local)" if times else ""
        if ids:
            cursors += ("; " if cursors else "") + f"{ids} id cursor(s) are sent back as they are"
        return OK, f"first page: {len(page)} record(s), every changed_at reads as {declared}; {cursors}"

    @staticmethod
    def _cursor_problem(
        cursor: Any, must_be_time: bool, date_format: str | None, zone: tzinfo, declared: str
    ) -> str | None:
        """What is wrong with one record's cursor value, or None: a time must parse and round-trip."""
        if cursor is None or cursor == "":
            return "a record has no cursor value"
        if isinstance(cursor, bool) or not isinstance(cursor, (str, int, float)):
            return f"cursor {_shown(cursor)} is not a value the hub can send back"
        if not isinstance(cursor, str) or cursor.strip().isdigit():
            return None  # a numeric id: sent back as it is
        if not _is_time_text(cursor, date_format, zone):
            return f"cursor {_shown(cursor)} does not read as {declared}" if must_be_time else None
        canonical = canonical_cursor(cursor, date_format, zone)
        back = local_cursor(canonical, date_format, zone)
        if back == cursor:
            return None
        if (
            date_format
            and "%z" in date_format
            and parse_time(back, zone, date_format) == parse_time(cursor, zone, date_format)
        ):
            return None  # the same moment, written with the zone's offset: the system reads it the same
        return f"cursor {_shown(cursor)} comes back as {_shown(back)} (via {canonical}): not the same text"
