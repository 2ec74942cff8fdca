"""The ``sql`` connector kind: a local system with no API, only tables (the shape of many PHP apps).

Table and column names come from the package as plain identifiers; SQLAlchemy quotes them, and no SQL
text from a package is ever run. Values always travel as bound parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Self

from sqlalchemy import Engine, column, create_engine, insert, inspect, literal_column, select, table
from sqlalchemy.exc import DBAPIError, IntegrityError, NoSuchTableError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.types import String

from connectors.errors import FatalError, RecordError, RetriableError
from connectors.local_connector import Files, LocalConnector, UploadLog, WiringInputs
from connectors.mapping import build_object
from connectors.records import (
    BadRecord,
    ChangeRecord,
    WalkInRecord,
    canonical_cursor,
    local_cursor,
    normalise_change,
    parse_time,
)
from connectors.secrets import SecretResolver, for_package
from connectors.sql_guard import check_database_url
from connectors.url_policy import HostPolicy
from connectors.walk_in_mapping import WalkInMapping
from registry.date_formats import sorts_as_text
from registry.starter import STARTER_STATUS_MAP, StarterKind, StarterOptions

PAGE_SIZE = 500
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}


def engine_url(dialect: str, url: str) -> str:
    """Force the driver the hub ships for the package's dialect (``mariadb://u@h/db`` -> ``mysql+pymysql://...``)."""
    _, sep, rest = url.partition("://")
    if not sep:
        raise FatalError("the database URL of connection_ref is not a URL")
    return f"{_DRIVERS[dialect]}://{rest}"


def starter_local_system(opts: StarterOptions, secret_ref: str) -> dict[str, Any]:
    """The ``sql`` section of ``mpphub init``'s starter package: an applications table and a status history."""
    return {
        "kind": "sql",
        "dialect": opts.dialect,
        "connection_ref": secret_ref,
        "tables": {
            "applications": {
                "table": "permohonan",
                "reference_column": "id",
                "national_id_column": "id_nasional",
                "columns": {
                    "id_nasional": "application.id",
                    "nik": "form.nik",
                    "nama": "form.nama_lengkap",
                    "telepon": "form.no_hp",
                    "alamat": "form.alamat",
                    "tgl_masuk": "application.submitted_at",
                },
            },
            "status_changes": {
                "table": "riwayat_status",
                "cursor_column": "id",
                "columns": {"reference": "permohonan_id", "status": "status", "changed_at": "waktu", "event_id": "id"},
            },
        },
        "status_map": dict(STARTER_STATUS_MAP),
        "idempotency": {"strategy": "lookup_by_reference"},
    }


class SqlConnector(LocalConnector):
    """Reads and writes one package's tables."""

    kind = "sql"
    # the secret's name ends in DB_URL (it holds the database URL), whatever the auth type
    starter = StarterKind(frozenset({"dialect"}), starter_local_system, secret_tail="DB_URL")  # noqa: S106
    dry_run_skips: ClassVar[Mapping[str, str]] = {
        "credentials": "sql: the database URL given with --local-url is used",
        "date round-trip": "sql: the database compares cursors itself (no text to send back)",
        "error answer": "sql: a database refuses with driver errors, not with answers",
        "submit encoding": "sql: the hub writes table columns, no request body",
    }

    @classmethod
    def from_package(cls, package: dict[str, Any], inputs: WiringInputs) -> Self:
        """Its database URL from the package's secret (or the given address); never the ledger's database."""
        return cls(
            package,
            inputs.secrets,
            database_url=inputs.address,
            url_policy=inputs.url_policy,
            ledger_url=inputs.ledger_url,
        )

    @classmethod
    def lookback_seconds(cls, local: dict[str, Any]) -> int:
        """``tables.status_changes.lookback_seconds`` (0 when not declared)."""
        return int(local["tables"]["status_changes"].get("lookback_seconds", 0))

    @classmethod
    def declares_walk_ins(cls, local: dict[str, Any]) -> bool:
        """Whether ``tables.walk_ins`` is declared."""
        return "walk_ins" in local.get("tables", {})

    @classmethod
    def supports_lookup(cls, local: dict[str, Any]) -> bool:
        """Always: the applications table has a national id column."""
        return True

    def __init__(
        self,
        package: dict[str, Any],
        secrets: SecretResolver,
        database_url: str | None = None,
        url_policy: HostPolicy | None = None,
        ledger_url: str | None = None,
    ) -> None:
        """``database_url``: the given address, else the package's secret; ``ledger_url``: refused as the local one."""
        super().__init__(package)  # date_format: how times kept as text are written
        self.tables = self.local["tables"]
        self._text_cursor: dict[str, bool] = {}  # table -> whether its cursor column holds text
        url = database_url or for_package(secrets, package).get(self.local["connection_ref"])
        # the host policy of HTTP endpoints, and never the hub's own ledger: checked before any dial
        check_database_url(url, url_policy, ledger_url)
        self.engine: Engine = create_engine(
            engine_url(self.local["dialect"], url),
            pool_pre_ping=True,
            pool_size=2,
            max_overflow=2,
            hide_parameters=True,  # the rows are form data: never in SQL logs or error messages
        )

    honours_idempotency_keys = False

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    @staticmethod
    def _classify(exc: SQLAlchemyError, write: bool) -> Exception:
        if isinstance(exc, IntegrityError):
            return RecordError(f"the local database refused the row: {type(exc.orig).__name__}")
        if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
            return RetriableError(f"local database unavailable: {type(exc.orig).__name__}", outcome_unknown=write)
        if isinstance(exc, DBAPIError):
            return FatalError(f"local database error (does the package match the tables?): {type(exc.orig).__name__}")
        return RetriableError(f"local database: {type(exc).__name__}", outcome_unknown=write)

    def submit(
        self,
        envelope: dict[str, Any],
        form: dict[str, Any],
        files: Files | None = None,
        uploads: UploadLog | None = None,
    ) -> str:
        """Insert the application row; returns its reference column's value (a table takes no files)."""
        spec = self.tables["applications"]
        values = {
            k: self._column_value(v)
            for k, v in build_object(spec["columns"], {"application": envelope, "form": form}).items()
        }
        target = table(spec["table"], *(column(name) for name in values), column(spec["reference_column"]))
        try:
            with self.engine.begin() as conn:
                if spec["reference_column"] in values:
                    conn.execute(insert(target).values(**values))
                    return str(values[spec["reference_column"]])
                statement = insert(target).values(**values)
                if conn.dialect.insert_returning:  # PostgreSQL, MariaDB 10.5+: the generated reference in one trip
                    found = conn.execute(statement.returning(column(spec["reference_column"]))).scalar()
                else:
                    key = conn.execute(statement).inserted_primary_key
                    found = key[0] if key else None
                if found is None:
                    raise FatalError("the inserted row has no reference: check reference_column")
                return str(found)
        except SQLAlchemyError as exc:
            raise self._classify(exc, write=True) from None

    def _column_value(self, value: Any) -> Any:
        """Objects become JSON text; ISO timestamps become datetimes (naive, in the package's zone, for
        MySQL/MariaDB DATETIME)."""
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, str) and _ISO_TIME.match(value):
            moment = parse_time(value, self.zone)
            if self.local["dialect"] in ("mysql", "mariadb"):
                return moment.astimezone(self.zone).replace(tzinfo=None)
            return moment
        return value

    def lookup(self, envelope: dict[str, Any]) -> str | None:
        """The reference of the row holding this national id, if any (before retrying an unknown write)."""
        spec = self.tables["applications"]
        query: Select[Any] = (
            select(column(spec["reference_column"]))
            .select_from(table(spec["table"]))
            .where(column(spec["national_id_column"]) == str(envelope["id"]))
            .limit(1)
        )
        try:
            with self.engine.connect() as conn:
                found = conn.execute(query).scalar()
        except SQLAlchemyError as exc:
            raise self._classify(exc, write=False) from None
        return None if found is None else str(found)

    def _rows(self, spec: dict[str, Any], since: Any) -> Iterator[list[dict[str, Any]]]:
        cursor_column: ColumnClause[Any] = column(spec["cursor_column"])
        last = self._local_since(spec, since)
        while True:
            query: Select[Any] = (
                select(literal_column("*")).select_from(table(spec["table"])).order_by(cursor_column).limit(PAGE_SIZE)
            )
            if last is not None:
                query = query.where(cursor_column > last)
            try:
                with self.engine.connect() as conn:
                    rows = [dict(row._mapping) for row in conn.execute(query)]
            except SQLAlchemyError as exc:
                raise self._classify(exc, write=False) from None
            yield rows
            if len(rows) < PAGE_SIZE:
                return
            last = rows[-1][spec["cursor_column"]]

    def _local_since(self, spec: dict[str, Any], since: Any) -> Any:
        """The stored cursor as the cursor column compares: a time or a number for typed columns; for a
        text column under a declared ``date_format``, the stored ISO time written in that format."""
        if not self.date_format or not self._cursor_is_text(spec):
            return _typed_cursor(since)
        if not sorts_as_text(self.date_format):
            # the database orders text as text: WHERE/ORDER BY on 02-12-2026 vs 03-11-2026 would skip rows
            raise FatalError(
                f"cursor_column {spec['cursor_column']} of {spec['table']} holds text in date_format "
                f"{self.date_format!r}, which the database sorts as text, not as time: use a DATETIME or "
                "numeric cursor column, or a year-first format such as %Y-%m-%d %H:%M:%S"
            )
        return local_cursor(since, self.date_format, self.zone)

    def _cursor_is_text(self, spec: dict[str, Any]) -> bool:
        """Whether a table's cursor column is a text type (read from the database once per table)."""
        name = spec["table"]
        if name not in self._text_cursor:
            try:
                found = [c for c in inspect(self.engine).get_columns(name) if c["name"] == spec["cursor_column"]]
            except NoSuchTableError:
                return False  # the read itself fails on it, as fatal as without a date format
            except SQLAlchemyError as exc:
                raise self._classify(exc, write=False) from None
            # a column the table lacks: the read itself reports it (a wrong package is fatal there)
            self._text_cursor[name] = bool(found) and isinstance(found[0]["type"], String)
        return self._text_cursor[name]

    def status_changes(self, since: Any) -> Iterator[list[ChangeRecord | BadRecord]]:
        """Pages of status-change rows after a cursor value (rows are read in cursor order)."""
        spec = self.tables["status_changes"]
        for rows in self._rows(spec, since):
            yield [
                normalise_change(
                    row,
                    spec["columns"],
                    canonical_cursor(row.get(spec["cursor_column"]), self.date_format, self.zone),
                    by_name=True,
                    zone=self.zone,
                    date_format=self.date_format,
                )
                for row in rows
            ]

    def walk_ins(self, since: Any) -> Iterator[list[WalkInRecord]]:
        """Pages of counter applications after a cursor value."""
        spec = self.tables.get("walk_ins")
        if spec is None:
            return
        mapping = WalkInMapping(
            spec["reference_column"],
            spec["cursor_column"],
            spec["form"],
            self.date_format,
            self.zone,
            by_name=True,
            form_values=_json_row,
        )
        for rows in self._rows(spec, since):
            yield [mapping.record(row) for row in rows]


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as its walk-in form is mapped from: every value as JSON (``_jsonable``)."""
    return {k: _jsonable(v) for k, v in row.items()}


def _jsonable(value: Any) -> Any:
    """Database values as the JSON a national form holds: dates as ISO text, decimals as numbers."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _typed_cursor(value: Any) -> Any:
    """The ledger keeps cursors as text; compare them as what they are (PostgreSQL will not compare an
    integer column with text)."""
    if not isinstance(value, str):
        return value
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        return parse_time(value)
    except ValueError:
        return value
