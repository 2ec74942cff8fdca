"""Every error the sync engine decides on, classified by what the caller should do — by its type, never by
its text (DESIGN.md "Architecture")::

    HubError
    ├── ConnectorError              a call to a local system or the national layer failed
    │   ├── RetriableError          transient: back off and try again; honours ``retry_after``
    │   │   ├── NotSent             the request never left (connection refused, connect timeout, DNS):
    │   │   │                       nothing can have been applied
    │   │   ├── LostReply           the request went out but no whole answer came back (read timeout,
    │   │   │                       connection dropped, a truncated or unreadable body): a write's
    │   │   │                       outcome is unknown
    │   │   │   └── UnusableAnswer  a whole, readable answer the package cannot use (a 2xx without the
    │   │   │                       reference it declares): unknown outcome, and it will come again
    │   │   └── BusyAnswer          the system answered "not now" (429, 5xx, an ``errors`` rule "retry")
    │   ├── FatalError              stop this package and say why (credentials, the package, the endpoint)
    │   │   └── ResponseTooLarge    (connectors/http.py) an answer over the size limit, refused
    │   └── RecordError             this one record was refused: dead-letter it, go on
    └── LedgerConflict              another worker got there first; nothing is lost
        ├── CursorMoved             it advanced the cursor first: this read is discarded
        ├── StreamHeld              it holds the stream this flow found work on: the work waits for it
        └── LeaseLost               it took this stream over: this flow stops, its writes are refused

``outcome_unknown`` on a ``RetriableError`` says a *write* may have been applied: the next attempt reuses
the idempotency key or looks the record up by its external reference before writing again. It is true for
a ``LostReply`` of a write, and for a ``BusyAnswer`` of a write that is not a 429 (a 5xx may come after the
work was done). Only a ``LostReply`` is worth resolving at once, in the same cycle: a busy system needs
its backoff (``connectors/sync/outbound.py``).

Messages carry status codes, paths and ids — never request bodies, which hold personal data.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the engine classifies."""


class ConnectorError(HubError):
    """Base of the classified connector errors."""


class RetriableError(ConnectorError):
    """A transient failure: back off and try again."""

    def __init__(self, message: str, retry_after: float | None = None, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class NotSent(RetriableError):
    """The request never reached the system (refused, unreachable, no connection within the timeout)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, outcome_unknown=False)


class LostReply(RetriableError):
    """The request went out but its answer was lost or unreadable; for a write, the outcome is unknown."""

    def __init__(self, message: str, write: bool) -> None:
        super().__init__(message, outcome_unknown=write)


class UnusableAnswer(LostReply):
    """The system answered in full and readably, but not as the package says it would (a write's 2xx without a
    reference at ``reference_path``): the outcome is unknown (so: a lost reply), yet the system is up and the
    same request is likely to get the same answer. The retry budget treats it as an answer
    (``connectors/sync/backoff.py``): after ``max_attempts`` of the same one it is a dead letter."""


class BusyAnswer(RetriableError):
    """The system answered that it cannot do this now (HTTP 429, a 5xx, or an ``errors`` rule "retry")."""


class FatalError(ConnectorError):
    """Retrying cannot help until a person fixes something (credentials, the package, the endpoint)."""


class RecordError(ConnectorError):
    """The record itself was refused; other records can still move."""


class LedgerConflict(HubError):
    """Another worker got to this stream first; what it did is kept, so nothing is lost."""


class CursorMoved(LedgerConflict):
    """Another worker advanced the cursor first: this read is discarded (its items are stored by the winner)."""


class StreamHeld(LedgerConflict):
    """Another worker holds this stream's lease: this flow found work but may not do it now (what it read is
    discarded; the holder does that work, or this worker does at its next cycle)."""


class LeaseLost(LedgerConflict):
    """This worker's lease on a stream expired and another worker took the stream over: the flow stops at
    once. What it wrote before is kept (every write was fenced); what it would have written is refused."""
