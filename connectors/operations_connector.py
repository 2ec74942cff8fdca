"""The base of the HTTP kinds (``rest``, ``soap``): a package section that declares ``operations``.

Both kinds reach their local system through one ``HttpClient`` built from the section alike (auth, timeout,
rate limit, ``errors`` rules, host policy), read the same ``idempotency`` declaration, look applications up
by a ``lookup`` operation and read their feeds (``status_changes``, ``walk_ins``) by JMESPath over each
record. What differs is how an operation is called and how a feed pages (a REST request with a body and
``pagination``; a SOAP envelope paged by cursor): ``_pages`` and the kinds' own ``submit`` and ``lookup``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from connectors.auth import build_auth
from connectors.errors import FatalError
from connectors.http import ErrorDetail, HttpClient, UrlPolicy
from connectors.local_connector import LocalConnector
from connectors.mapping import search
from connectors.records import BadRecord, ChangeRecord, WalkInRecord, canonical_cursor, normalise_change
from connectors.secrets import SecretResolver, for_package
from connectors.walk_in_mapping import WalkInMapping


class OperationsConnector(LocalConnector, ABC):
    """A kind whose package section declares ``operations``: what it declares is read from there alike."""

    client: HttpClient

    def __init__(
        self,
        package: dict[str, Any],
        secrets: SecretResolver,
        base_url: str | None = None,
        url_policy: UrlPolicy | None = None,
        error_detail: ErrorDetail | None = None,
    ) -> None:
        """``base_url``: where the wiring says the system is (else the package's own); ``error_detail``:
        what an error answer of this kind says (``HttpClient``)."""
        super().__init__(package)
        self.operations: dict[str, Any] = self.local["operations"]
        timeout = float(self.local.get("timeout_seconds", 30))
        self.client = HttpClient(
            base_url or self.local["base_url"],
            auth=build_auth(self.local["auth"], for_package(secrets, package), timeout, url_policy),
            timeout=timeout,
            rate_limit_per_second=self.local.get("rate_limit_per_second"),
            error_rules=self.local.get("errors", []),
            url_policy=url_policy,
            error_detail=error_detail,
        )
        self.idempotency: dict[str, Any] = self.local["idempotency"]

    @classmethod
    def lookback_seconds(cls, local: dict[str, Any]) -> int:
        """``operations.status_changes.cursor.lookback_seconds`` (0 when not declared)."""
        return int(local["operations"]["status_changes"]["cursor"].get("lookback_seconds", 0))

    @classmethod
    def declares_walk_ins(cls, local: dict[str, Any]) -> bool:
        """Whether ``operations.walk_ins`` is declared."""
        return "walk_ins" in local.get("operations", {})

    @classmethod
    def supports_lookup(cls, local: dict[str, Any]) -> bool:
        """Whether ``operations.lookup`` is declared."""
        return "lookup" in local.get("operations", {})

    @property
    def honours_idempotency_keys(self) -> bool:
        """True when the local system honours an idempotency key header: a resend with the same key."""
        return bool(self.idempotency["strategy"] == "key_header")

    def idempotency_header(self) -> str:
        """The header the idempotency key travels in (``idempotency.header``, else ``Idempotency-Key``)."""
        header: str = self.idempotency.get("header", "Idempotency-Key")
        return header

    def close(self) -> None:
        """Close the HTTP session (its pooled connections)."""
        self.client.session.close()

    def lookup_operation(self) -> dict[str, Any]:
        """The declared ``lookup`` operation; FatalError when the package has none to look up with."""
        op: dict[str, Any] | None = self.operations.get("lookup")
        if op is None:
            raise FatalError("the package declares lookup_by_reference but no lookup operation")
        return op

    # -- the feeds ----------------------------------------------------------------------------------

    @abstractmethod
    def _pages(self, operation: str, since: Any) -> Iterator[list[Any]]:
        """Pages of raw records of a feed operation after a cursor value, as the local system wrote them."""

    def _records(self, raw_page: list[Any]) -> list[Any]:
        """The records of a raw page that a walk-in feed and the dry run read: all of them here (a REST
        record that is no object fails as any unreadable one); a kind may pass over what is no record."""
        return raw_page

    def raw_status_page(self, since: Any = None) -> list[dict[str, Any]]:
        """The first page of raw status records (as the local system wrote them)."""
        for page in self._pages("status_changes", since):
            return self._records(page)
        return []

    def status_field_paths(self) -> tuple[str | None, str]:
        """``fields.changed_at`` and ``cursor.field`` of the status feed."""
        op = self.operations["status_changes"]
        return op["fields"].get("changed_at"), op["cursor"]["field"]

    def status_changes(self, since: Any) -> Iterator[list[ChangeRecord | BadRecord]]:
        """Pages of status changes after a cursor value, normalised by ``fields``."""
        op = self.operations["status_changes"]
        for raw_page in self._pages("status_changes", since):
            yield [self._change(raw, op) for raw in raw_page]

    def _change(self, raw: Any, op: dict[str, Any]) -> ChangeRecord | BadRecord:
        """One raw status record, read by the operation's ``fields``; its cursor at ``cursor.field``."""
        cursor = canonical_cursor(search(op["cursor"]["field"], raw), self.date_format, self.zone)
        return normalise_change(raw, op["fields"], cursor, zone=self.zone, date_format=self.date_format)

    def walk_ins(self, since: Any) -> Iterator[list[WalkInRecord]]:
        """Pages of counter (walk-in) applications after a cursor value, with their national form."""
        op = self.operations.get("walk_ins")
        if op is None:
            return
        mapping = WalkInMapping(
            op["fields"]["reference"], op["cursor"]["field"], op["form"], self.date_format, self.zone
        )
        for raw_page in self._pages("walk_ins", since):
            yield [mapping.record(raw) for raw in self._records(raw_page)]
