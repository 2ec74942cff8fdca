"""What waits on the national side: citizens' applications submitted nationally that the hub has not
delivered yet, asked of the national layer when a health report is built (short timeout, cached).

Why the report asks, rather than each sync cycle recording a count in the ledger: the case this exists
for is a region whose sync is *not running* (stalled, its worker gone, its schedule paused). A count a
sync cycle records is only as fresh as the last cycle that ran, so for exactly that region it would stay
frozen at its last value — often 0 — while citizens' applications pile up: the same lie, only older.
Asking at report time costs one national call per report refresh, whatever the number of regions
(``GET /waiting-counts`` answers for every region at once, from an index on the national side), needs no
ledger table, no migration and no write in idle cycles. The answer is cached for ``cache_seconds``
(default 60 s) so that dashboards polling the API do not turn into national traffic, and a failure is
remembered for ``retry_seconds`` (default 30 s) so that an unreachable national layer costs one short
timeout (default 3 s) now and then, not one per report. When the national layer cannot be asked, the
count is *unknown* (None) — shown as "national backlog unknown", never as 0.

The national layer counts, per service, its citizens' applications not yet acknowledged. Some of those
the hub has already pulled into its ledger and not acknowledged yet (pending, sending, delivered, or dead
letters); they are counted there already, so the report subtracts them per service
(``national_backlog``: the rest, never below 0) — what waits nationally, never pulled by the hub.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConnectorError
from connectors.national import NationalClient
from hub.settings import Settings

log = logging.getLogger("mpphub.health")

DEFAULT_TIMEOUT_SECONDS = 3.0
DEFAULT_CACHE_SECONDS = 60.0
DEFAULT_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class WaitingCounts:
    """The national layer's answer: unacknowledged citizens' applications per service id."""

    by_service: dict[str, int]
    counted_at: str | None = None

    def for_region(self, region: str) -> WaitingCounts:
        """Only the services of ``region`` (service ids are ``<region>/<slug>``)."""
        prefix = f"{region}/"
        return WaitingCounts({k: v for k, v in self.by_service.items() if k.startswith(prefix)}, self.counted_at)


@dataclass
class NationalBacklog:
    """Asks the national layer what waits there, with a short timeout, a cache and a remembered failure.

    ``client`` is called to get the client (so that the CLI builds one only when it asks). Thread-safe:
    the API's background refresh and a drill-down page may ask at the same time; one asks, the other waits
    for its answer.
    """

    client: Callable[[], Any]
    cache_seconds: float = DEFAULT_CACHE_SECONDS
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _answers: dict[str, tuple[float, WaitingCounts]] = field(default_factory=dict, repr=False)
    _failed_at: float | None = field(default=None, repr=False)

    def counts(self, region: str | None = None) -> WaitingCounts | None:
        """Waiting counts of every region (``region`` None) or one; None when the national layer cannot
        be asked now (unreachable, too slow, an error answer, or failed within ``retry_seconds``)."""
        with self._lock:
            now = self.clock()
            for key in ("*", region or "*"):  # a fresh national answer also answers for one region
                cached = self._answers.get(key)
                if cached is not None and now - cached[0] < self.cache_seconds:
                    return cached[1] if key != "*" or region is None else cached[1].for_region(region)
            if self._failed_at is not None and now - self._failed_at < self.retry_seconds:
                return None
            try:
                body = self.client().waiting_counts(region)
                answer = WaitingCounts(
                    {str(i["service_id"]): int(i["waiting"]) for i in body.get("items", [])},
                    body.get("counted_at"),
                )
            except (ConnectorError, KeyError, TypeError, ValueError, AttributeError) as exc:
                # one line, no traceback: the message names the URL and the failure, never personal data
                log.warning("national backlog unknown: %s", str(exc)[:300])
                self._failed_at = now
                return None
            self._failed_at = None
            self._answers[region or "*"] = (now, answer)
            return answer


def national_backlog(
    settings: Settings,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    cache_seconds: float = DEFAULT_CACHE_SECONDS,
    retry_seconds: float = DEFAULT_RETRY_SECONDS,
) -> NationalBacklog:
    """A ``NationalBacklog`` for the configured national layer (``MPPHUB_NATIONAL_URL`` and its token)."""
    made: list[NationalClient] = []

    def client() -> NationalClient:
        if not made:
            made.append(NationalClient(settings.national_url, settings.national_token, timeout=timeout))
        return made[0]

    return NationalBacklog(client, cache_seconds=cache_seconds, retry_seconds=retry_seconds)
