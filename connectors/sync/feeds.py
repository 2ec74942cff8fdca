"""Region feeds: one local status feed for several services of a region (issue 18 item 5).

Many regions run one licensing application for all the services of their DPMPTSP, and it serves one status
feed in which each row names its service (``kode_layanan``). The packages of those services declare it as
``operations.status_changes.feed`` — the same ``name``, each its own ``service_code`` — and the hub reads it
**once per cycle for the region**, with **one cursor** and under **one lease** (both kept under the feed's
key, ``<region>/feed:<name>``), then routes each row to the package whose code it carries:

- a row whose code no package of the feed declares is quarantined with that reason (it never stalls the
  read: the cursor moves past it, and the dead letter keeps it for the team);
- a row is only ever matched to an application of the service it was routed to — the ledger enforces it
  (``connectors/ledger/inbound.py``), whatever the reader did.

The feed's first member (by id) is its *owner*: its package's declaration is the one the feed is read with,
and rows no member claims are kept under it. Every member must declare the read alike (base URL, path,
query, pagination, records, fields, cursor, auth, dates, envelope); a member that does not is stopped with
a fatal error naming the difference, so a typo in one package never silently reroutes another's rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors.errors import ConnectorError, FatalError, RetriableError
from registry.region_feeds import declared_feed, differences, read_declaration

if TYPE_CHECKING:
    from connectors.sync.context import SyncContext


@dataclass(frozen=True)
class RegionFeed:
    """One region feed and the services it serves."""

    region: str
    name: str
    owner: str  # the first member's service id: its declaration reads the feed
    members: dict[str, str]  # service code -> service id
    # codes of services whose package declares the feed wrongly -> why (their rows are held with it)
    refused_codes: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Where the feed's cursor and lease live in the ledger (a service id of its own)."""
        return f"{self.region}/feed:{self.name}"


class FeedDirectory:
    """The region feeds of a registry, found from the packages' declarations (once per package source)."""

    def __init__(self) -> None:
        # (the package index it was built from, region) -> (feed name -> feed, member id -> why refused)
        self._regions: dict[tuple[int, str], tuple[dict[str, RegionFeed], dict[str, str]]] = {}
        self._lock = threading.Lock()

    def feed_of(self, ctx: SyncContext, service_id: str) -> RegionFeed | None:
        """The region feed a service's status changes come from, or None; FatalError when the service's
        package declares the feed unlike its owner, or with a code another member already has. Only the
        service's own region is looked at (its packages once per package source): a service without a
        feed costs one look at its own package, and a national registry is never read whole for one."""
        feed = declared_feed(ctx.packages.latest(service_id))
        if feed is None:
            return None
        region = str(ctx.packages.index["packages"][service_id]["region"])
        feeds, refused = self._region(ctx, region)
        if service_id in refused:
            raise FatalError(refused[service_id])
        return feeds[str(feed["name"])]

    def _region(self, ctx: SyncContext, region: str) -> tuple[dict[str, RegionFeed], dict[str, str]]:
        """The feeds of one region (name -> feed) and its members that cannot read theirs (id -> why)."""
        key = (id(ctx.packages.index), region)
        with self._lock:
            built = self._regions.get(key)
            if built is None:
                built = self._regions[key] = _build_region(ctx, region)
            return built


def _build_region(ctx: SyncContext, region: str) -> tuple[dict[str, RegionFeed], dict[str, str]]:
    groups: dict[str, list[str]] = {}
    entries = ctx.packages.index["packages"]
    for service_id in ctx.packages.service_ids(region):
        if entries[service_id]["region"] != region:
            continue  # a province's id prefix also matches its regencies: one region's feed is its own
        feed = declared_feed(ctx.packages.latest(service_id))
        if feed is not None:
            groups.setdefault(str(feed["name"]), []).append(service_id)
    feeds: dict[str, RegionFeed] = {}
    refused: dict[str, str] = {}
    for name, services in groups.items():
        owner = services[0]  # service_ids() is sorted: the owner is stable
        expected = read_declaration(ctx.packages.latest(owner))
        members: dict[str, str] = {}
        refused_codes: dict[str, str] = {}
        for service_id in services:
            package = ctx.packages.latest(service_id)
            code = str(package["local_system"]["operations"]["status_changes"]["feed"]["service_code"])
            differs = differences(expected, read_declaration(package))
            if differs:
                refused[service_id] = (
                    f"region feed {name}: declared unlike its first service {owner} "
                    f"({', '.join(differs[:5])}): one feed is read one way"
                )
                refused_codes.setdefault(code, f"{service_id}: {refused[service_id]}")
            elif code in members:
                refused[service_id] = f"region feed {name}: service code {code!r} is already {members[code]}'s"
            else:
                members[code] = service_id
        feeds[name] = RegionFeed(region, name, owner, members, refused_codes)
    return feeds, refused


class FeedReads:
    """Which region feeds this cycle has read, and how it went (each is read once per cycle, by whichever
    of its services comes first). The others find their rows stored — or, when the read failed, fail the
    same way: a wrong key or a feed that is down is every member's problem, not only the reader's. A
    member that comes while the read is still going (services side by side) waits for it. A new cycle
    starts afresh.

    A read is ended by the thread that claimed it, on the very entry it claimed: two engines may share one
    context (a new cycle begun by one while the other's read is still going replaces the entry), and the
    members waiting on the older read must still be woken by it, never left waiting for good."""

    def __init__(self) -> None:
        self._cycle = 0
        self._reads: dict[str, _Read] = {}
        self._mine: dict[tuple[int, str], _Read] = {}  # (reader thread, key) -> the read it claimed
        self._lock = threading.Lock()

    def new_cycle(self) -> None:
        """Start a cycle: every feed is to be read again."""
        with self._lock:
            self._cycle += 1

    def claim(self, key: str) -> bool:
        """True for the first caller of the cycle for this feed: it reads it and calls ``done``. For every
        later caller: False once the read is done, or raises the read's failure (for this member)."""
        with self._lock:
            found = self._reads.get(key)
            if found is None or found.cycle != self._cycle:
                self._reads[key] = self._mine[(threading.get_ident(), key)] = _Read(self._cycle)
                return True
        if not found.finished.wait(READ_WAIT_SECONDS):
            raise RetriableError(f"{key}: the read by another service of the region did not end in time")
        if found.failures:
            raise _as_members(found.failures[0])
        return False

    def done(self, key: str, failure: ConnectorError | None = None) -> None:
        """The claiming thread's read of ``key`` ended (with ``failure``, if it failed); a second call
        for the same read does nothing."""
        with self._lock:
            read = self._mine.pop((threading.get_ident(), key), None)
        if read is not None:
            if failure is not None:
                read.failures.append(failure)
            read.finished.set()


# How long a service waits for its region's read by another service of the same cycle: far beyond one
# read's budget (MPPHUB_RUN_SECONDS, 300 s by default), only so that no thread can wait for good.
READ_WAIT_SECONDS = 900.0


@dataclass
class _Read:
    """One read of a feed in one cycle: done when ``finished`` is set, with what failed."""

    cycle: int
    finished: threading.Event = field(default_factory=threading.Event)
    failures: list[ConnectorError] = field(default_factory=list)


def _as_members(failure: ConnectorError) -> ConnectorError:
    """The failure of a feed's read as the other members report it (same class of outcome, its message)."""
    message = f"region feed read by another service of the region failed: {failure}"
    if isinstance(failure, FatalError):
        return FatalError(message)
    if isinstance(failure, RetriableError):
        return RetriableError(message, retry_after=failure.retry_after)
    return RetriableError(message)
