"""Reading one counter (walk-in) application out of a record of a kind's walk-in feed.

Every kind reads a walk-in alike: its local reference must be there, its national form is the package's
``form`` mapping over the record, and its cursor is kept as the ledger compares cursors (ISO 8601 for a
time in the package's ``date_format``). What differs per kind is only where the declared names point: the
HTTP kinds (``rest``, ``soap``) declare JMESPath over the record, the ``sql`` kind column names of a row
whose database values are first made JSON for the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from connectors.mapping import build_object, search
from connectors.records import WalkInRecord, canonical_cursor, required_text


@dataclass(frozen=True)
class WalkInMapping:
    """How one package's walk-in feed is read: where a record holds its reference and cursor, and the
    ``form`` mapping that builds its national form."""

    reference: str  # a JMESPath over the record, or (``by_name``) a column name
    cursor: str  # likewise
    form: dict[str, str]  # national form field -> JMESPath over the record (or over ``form_values`` of it)
    date_format: str | None  # how the local system writes times; None: ISO 8601
    zone: tzinfo  # local times without an offset are read in it
    by_name: bool = False  # ``reference`` and ``cursor`` are a row's column names (sql), not JMESPath
    # what the form is mapped over: the record itself when None (sql: its database values as JSON)
    form_values: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def _field(self, raw: Any, name: str) -> Any:
        return raw.get(name) if self.by_name else search(name, raw)

    def record(self, raw: Any) -> WalkInRecord:
        """One walk-in; ValueError when the record lacks its reference (as the kinds always raised)."""
        # read in this order (reference, form, cursor): a record missing its reference fails on it first
        return WalkInRecord(
            reference=required_text(self._field(raw, self.reference)),
            form=build_object(self.form, raw if self.form_values is None else self.form_values(raw)),
            cursor=canonical_cursor(self._field(raw, self.cursor), self.date_format, self.zone),
        )
