"""The local-connector interface: what every connector kind (``rest``, ``sql``, ``soap``...) is and says
about itself, so that no caller ever branches on a kind's name or probes for a method.

Why an abstract base class and not a ``Protocol``: a kind is more than the calls the engine makes. It
says things about its package section *before* any connection exists (its look-back window, whether it
declares walk-ins, whether it can look an application up, which host it loads) and carries class-level
data (its starter section for ``mpphub init``, the dry-run steps that do not apply to it). Those are
class methods and class attributes with sane defaults; a Protocol cannot hold defaults, and a kind that
forgets an abstract method fails at import of its test (``TypeError: Can't instantiate``), not in
production. The few optional capabilities (fetching attachment files ahead, uploading files after a
look-up) have do-nothing defaults, so callers call them unconditionally instead of ``getattr``.

A kind is built by ``from_package(package, WiringInputs)``: the shared inputs of the wiring (secrets,
base-URL overrides, the host policy, the national attachment fetcher, the ledger's URL), each kind
taking what it needs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self
from urllib.parse import urlsplit

from connectors.errors import FatalError
from connectors.records import BadRecord, ChangeRecord, WalkInRecord
from connectors.secrets import SecretResolver
from connectors.url_policy import HostPolicy
from registry.time_zones import package_zone

if TYPE_CHECKING:
    from connectors.http import HttpClient
    from registry.starter import StarterKind

# files of one application, as fetch_files returns them and submit takes them: (attachment meta, content)
Files = list[tuple[dict[str, Any], bytes]]


class UploadLog(Protocol):
    """Where the files of one application uploaded after its create are recorded (the ledger's
    ``attachment_upload``, through the sync engine): read before uploading, written after each upload."""

    def uploaded(self) -> dict[int, str]:
        """position in the envelope's ``attachments`` -> sha256 of the files recorded as uploaded."""
        ...

    def record(self, position: int, meta: dict[str, Any], reference: str) -> None:
        """Record one file as uploaded (called right after its upload succeeded)."""
        ...


@dataclass(frozen=True)
class WiringInputs:
    """What the wiring shares with every kind it builds; each kind takes what it needs.

    ``address``: the local system's address itself, replacing the package's (``mpphub check --local-url``:
    a base URL, or for a database kind its URL)."""

    secrets: SecretResolver
    base_url_overrides: Mapping[str, str] = field(default_factory=dict)
    url_policy: HostPolicy | None = None
    attachment_fetcher: HttpClient | None = None
    ledger_url: str | None = None
    address: str | None = None

    def base_url(self, declared: str) -> str:
        """The base URL a package's HTTP system is reached at: the given address, an override, or its own."""
        return self.address or self.base_url_overrides.get(declared, declared)


class LocalConnector(ABC):
    """One package's local system, as the sync engine, ``mpphub check`` and ``mpphub init`` see it."""

    kind: ClassVar[str]  # the schema's ``local_system.kind`` value (tests/connectors/test_kinds.py)
    # whether it can fetch an application's attachment files (from the national layer) for its submit
    fetches_attachments: ClassVar[bool] = False
    # the starter section and init questions of this kind (registry/starter.py)
    starter: ClassVar[StarterKind]
    # steps of ``mpphub check`` (hub/checking.py) that do not apply to this kind -> why (shown as skipped)
    dry_run_skips: ClassVar[Mapping[str, str]] = {}
    # the HTTP client of an HTTP kind (``mpphub check`` captures a submit request on it); None otherwise
    client: HttpClient | None = None

    def __init__(self, package: dict[str, Any]) -> None:
        """What every kind keeps of its package alike: the package, its ``local_system`` section, and how
        the local system writes times (a kind reads its cursors and timestamps with these)."""
        self.package = package
        self.local: dict[str, Any] = package["local_system"]
        # local times without an offset (naive DATETIME values too): the declared or the region's zone
        self.zone: tzinfo = package_zone(package)
        self.date_format: str | None = self.local.get("date_format")  # None: ISO 8601

    # -- what the package section says, before anything is connected -------------------------------

    @classmethod
    @abstractmethod
    def from_package(cls, package: dict[str, Any], inputs: WiringInputs) -> Self:
        """Build the connector of one package from its ``local_system`` section and the shared inputs."""

    @classmethod
    @abstractmethod
    def lookback_seconds(cls, local: dict[str, Any]) -> int:
        """How far back (seconds) the status feed is read again before the stored cursor."""

    @classmethod
    @abstractmethod
    def declares_walk_ins(cls, local: dict[str, Any]) -> bool:
        """Whether the section declares a walk-in (counter applications) feed."""

    @classmethod
    @abstractmethod
    def supports_lookup(cls, local: dict[str, Any]) -> bool:
        """Whether ``lookup`` can find an application by its national id."""

    @classmethod
    def host_key(cls, package: dict[str, Any]) -> str:
        """The local system a package loads, for the per-host concurrency limit: its base URL's host, else
        (a kind without one) its region."""
        base_url = package["local_system"].get("base_url")
        host = urlsplit(base_url).hostname if isinstance(base_url, str) else None
        return host or f"region:{package.get('region')}"

    # -- the calls of a sync -----------------------------------------------------------------------

    @property
    @abstractmethod
    def honours_idempotency_keys(self) -> bool:
        """True when a resend with the same key can never create a second application."""

    @abstractmethod
    def submit(
        self,
        envelope: dict[str, Any],
        form: dict[str, Any],
        files: Files | None = None,
        uploads: UploadLog | None = None,
    ) -> str:
        """Deliver one application; return its local reference. ``files``: what ``fetch_files`` returned
        for it when fetched ahead; ``uploads``: the per-file upload record (kinds that upload files after
        the create)."""

    @abstractmethod
    def lookup(self, envelope: dict[str, Any]) -> str | None:
        """The local reference of an application found by its national id; None when there is none.
        FatalError when the kind or package has no way to look up (``supports_lookup`` False)."""

    @abstractmethod
    def status_changes(self, since: Any) -> Iterator[list[ChangeRecord | BadRecord]]:
        """Pages of status changes after a cursor value (None: from the start); an unreadable record is a
        BadRecord in its page, never an exception."""

    def walk_ins(self, since: Any) -> Iterator[list[WalkInRecord]]:
        """Pages of counter applications after a cursor value (none unless the package declares them)."""
        return iter(())

    def fetch_files(self, envelope: dict[str, Any], fetcher: HttpClient | None = None) -> Files:
        """The application's files as ``submit`` sends them; [] when none go along (or the kind sends
        none). ``fetcher``: another client for the national layer (a worker thread's own session)."""
        return []

    def upload_missing(
        self,
        envelope: dict[str, Any],
        form: dict[str, Any],
        reference: str,
        files: Files | None,
        uploads: UploadLog,
    ) -> int:
        """After a look-up found the application: upload the files ``uploads`` does not record yet;
        returns how many. 0 for a kind that sends no files after the create."""
        return 0

    @abstractmethod
    def close(self) -> None:
        """Release what the connector holds (HTTP sessions, database connections); idempotent."""

    # -- what ``mpphub check`` reads besides the calls above -----------------------------------------

    def raw_status_page(self, since: Any = None) -> list[dict[str, Any]]:
        """The first page of the status feed as the local system wrote it (before normalising), for the
        dry run's date round-trip; FatalError for a kind whose ``dry_run_skips`` names that step."""
        raise FatalError(f"the {self.kind} kind has no raw status feed")

    def status_field_paths(self) -> tuple[str | None, str]:
        """The declared (changed_at, cursor) field paths of the status feed's raw records."""
        raise FatalError(f"the {self.kind} kind has no raw status feed")

    def refusal_shape(self, operation: str) -> dict[str, Any] | None:
        """How a 2xx answer of an operation says it failed (a REST answer envelope), if declared."""
        return None
