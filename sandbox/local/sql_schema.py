"""DDL of the simulated database: tables, the sequences that number text references, and the views
(status history per service, counter applications) — created and dropped for one set of package plans."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from sandbox.local.sql_plan import PackagePlan, TableSpec


def _is_mysql(dialect: Dialect) -> bool:
    return dialect.name in ("mysql", "mariadb")


class SqlSchema:
    """The tables and views of ``plans`` for one database dialect."""

    def __init__(
        self, plans: list[PackagePlan], specs: dict[str, TableSpec], dialect: Dialect, unique_national_id: bool
    ) -> None:
        self.plans = plans
        self.dialect = dialect
        self.metadata = sa.MetaData()
        self.sequences: list[sa.Sequence] = []
        self.tables = {name: self._table(spec, unique_national_id) for name, spec in specs.items()}

    def _quote(self, name: str) -> str:
        return str(self.dialect.identifier_preparer.quote(name))

    def _table(self, spec: TableSpec, unique_national_id: bool) -> sa.Table:
        columns: list[sa.Column[Any]] = [sa.Column(spec.key, sa.Integer, primary_key=True, autoincrement=True)]
        for name, type_ in spec.columns.items():
            default = None
            if name == spec.generated_reference:
                sequence = sa.Sequence(f"{spec.name}_{name}_seq"[:63], metadata=self.metadata)
                self.sequences.append(sequence)
                default = sa.text(self._numbering(spec.reference_prefix, sequence.name))
            lookup = name in spec.lookup_columns
            columns.append(
                sa.Column(
                    name,
                    type_,
                    server_default=default,
                    nullable=default is None,
                    unique=lookup and unique_national_id,
                    index=lookup and not unique_national_id,
                )
            )
        return sa.Table(spec.name, self.metadata, *columns)

    def _numbering(self, prefix: str, sequence: str) -> str:
        """A column default numbering rows ``PREFIX-000001`` from a sequence (a text reference)."""
        if _is_mysql(self.dialect):
            return f"(concat('{prefix}-', lpad(next value for {self._quote(sequence)}, 6, '0')))"
        return f"('{prefix}-' || lpad(nextval('{sequence}')::text, 6, '0'))"

    def _views(self) -> list[tuple[str, sa.Select[Any]]]:
        views: list[tuple[str, sa.Select[Any]]] = []
        for plan in self.plans:
            apps = self.tables[plan.applications]
            only_this_service = [apps.c[c] == v for c, v in plan.discriminators.items()]
            if plan.status_view and plan.status_view not in dict(views):
                log, roles = self.tables[plan.log_table], plan.log
                picked: list[sa.ColumnElement[Any]] = [
                    log.c[roles[r]] for r in ("event_id", "reference", "status", "changed_at", "note") if r in roles
                ]
                if "national_id" in roles:
                    picked.append(apps.c[plan.national_id].label(roles["national_id"]))
                joined = log.join(apps, log.c[roles["reference"]] == apps.c[plan.reference])
                views.append((plan.status_view, sa.select(*picked).select_from(joined).where(*only_this_service)))
            if plan.walk_in_view and plan.walk_in_view not in dict(views):
                shown: list[sa.ColumnElement[Any]] = list(apps.c)
                if plan.walk_in_cursor and plan.walk_in_cursor not in apps.c:
                    shown.append(apps.c[plan.key].label(plan.walk_in_cursor))
                at_counter = apps.c[plan.national_id].is_(None)  # rows the hub did not deliver
                views.append((plan.walk_in_view, sa.select(*shown).where(at_counter, *only_this_service)))
        return views

    def create(self, conn: Connection) -> None:
        """Create sequences, tables and views."""
        for sequence in self.sequences:
            sequence.create(conn, checkfirst=True)
        self.metadata.create_all(conn)
        for name, query in self._views():
            body = query.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True})
            conn.execute(sa.text(f"CREATE VIEW {self._quote(name)} AS {body}"))

    def drop(self, conn: Connection) -> None:
        """Drop what ``create`` made (what exists of it)."""
        for name, _ in self._views():
            conn.execute(sa.text(f"DROP VIEW IF EXISTS {self._quote(name)}"))
        self.metadata.drop_all(conn)
        for sequence in self.sequences:
            sequence.drop(conn, checkfirst=True)
