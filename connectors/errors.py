"""Errors classified by what the caller should do (DESIGN.md "Architecture").

- ``RetriableError``: try again later (timeouts, 429, 5xx, a truncated body); honour ``retry_after``.
  ``outcome_unknown`` says a write may have been applied: the next attempt reuses the idempotency key
  or looks the record up by its external reference before writing again.
- ``FatalError``: stop this package and say why (bad credentials, a contract error, a missing secret).
- ``RecordError``: this one record is bad (the local system refused its data): dead-letter it, go on.

Messages carry status codes, paths and ids — never request bodies, which hold personal data.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of the classified connector errors."""

    action = "fatal"


class RetriableError(ConnectorError):
    """A transient failure: back off and try again."""

    action = "retry"

    def __init__(self, message: str, retry_after: float | None = None, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class FatalError(ConnectorError):
    """Retrying cannot help until a person fixes something (credentials, the package, the endpoint)."""

    action = "fatal"


class RecordError(ConnectorError):
    """The record itself was refused; other records can still move."""

    action = "record"
