"""How the tables of a kind "sql" package are laid out in the simulated database (pure: no connection).

Reading a package the way its PHP application would have been built:

- the applications table has an integer auto-increment key. A reference column named ``id_*`` IS that key;
  any other reference (``no_register``) is a text number the database gives itself from a sequence
  (``CP-000001``); the hub inserts with ``RETURNING`` or looks the row up by its national id;
- literal columns (``jenis_nakes = 'BIDAN'``) discriminate services sharing one table;
- a status-change "table" named ``v_*`` is a view over a base log table joined with the applications
  (it can then expose the national id and keep only its own service's rows); otherwise it is the log itself;
- a walk-ins table that is not the applications table is a view of the rows created at the counter
  (no national id), exposing the key under the declared cursor column name.

Column types follow the mapped form field (date -> DATE, integer -> INTEGER, number -> DOUBLE, text with
its maxLength...), the submission time is a timestamp (a naive WIB DATETIME on MariaDB, as PHP apps keep it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from sandbox.local.mapping import form_field, literal
from sandbox.local.officers import StatusLadder

TIMESTAMP: sa.types.TypeEngine[Any] = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=3), "mysql", "mariadb")
REFERENCE_TEXT = sa.String(32)
NATIONAL_ID = sa.String(80)
STATUS_CODE = sa.String(20)  # holds the status_map keys exactly as the package writes them
_VIEW_PREFIXES = ("v_", "vw_")


@dataclass
class TableSpec:
    """One base table of the simulated database."""

    name: str
    key: str  # integer auto-increment primary key
    columns: dict[str, sa.types.TypeEngine[Any]] = field(default_factory=dict)
    generated_reference: str | None = None  # text reference column numbered by a sequence
    lookup_columns: set[str] = field(default_factory=set)  # indexed (national id)

    @property
    def reference_prefix(self) -> str:
        """Initials of the table's words (``capil_perkawinan`` -> ``CP``), the prefix of its text numbers."""
        return "".join(word[0] for word in self.name.split("_") if word).upper() or "REG"


@dataclass(frozen=True)
class PackagePlan:
    """Where one package's data lives."""

    package: dict[str, Any]
    applications: str
    key: str
    reference: str
    national_id: str
    discriminators: dict[str, str]
    log_table: str
    log: dict[str, str]  # role (reference, status, changed_at, event_id, note, national_id) -> column of log_table
    status_view: str | None
    walk_in_view: str | None
    walk_in_cursor: str | None
    ladder: StatusLadder

    @property
    def package_id(self) -> str:
        """The package id."""
        return str(self.package["id"])


def is_view(name: str) -> bool:
    """Names the PHP apps give views."""
    return name.startswith(_VIEW_PREFIXES)


def value_type(schema: dict[str, Any]) -> sa.types.TypeEngine[Any]:
    """The column type for values of a form field's schema."""
    kind = schema.get("type", "string")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if kind == "integer":
        return sa.BigInteger() if float(schema.get("maximum", 0)) > 2**31 - 1 else sa.Integer()
    if kind == "number":
        return sa.Double()
    if kind == "boolean":
        return sa.Boolean()
    if kind != "string":
        return sa.Text()  # arrays and objects are stored as JSON text
    if schema.get("format") == "date":
        return sa.Date()
    if "enum" in schema:
        return sa.String(max(20, *(len(str(v)) for v in schema["enum"])))
    length = int(schema.get("maxLength", 255))
    return sa.String(length) if length <= 1000 else sa.Text()


def column_type(expression: str, form: dict[str, Any]) -> sa.types.TypeEngine[Any]:
    """The column type for a mapping expression: literals and envelope fields, else the form field's."""
    text = literal(expression)
    if text is not None:
        return sa.String(max(20, len(text)))
    expression = expression.strip()
    if expression == "application.submitted_at":
        return TIMESTAMP
    if expression.startswith("application."):
        return NATIONAL_ID
    name = form_field(expression)
    if name is not None and expression == f"form.{name}" and name in form.get("properties", {}):
        return value_type(form["properties"][name])
    return sa.Text()


def plan_package(package: dict[str, Any], specs: dict[str, TableSpec]) -> PackagePlan:
    """Plan one package, adding its tables and columns to ``specs`` (tables shared by packages merge)."""
    tables = package["local_system"]["tables"]
    apps, changes, walk_ins = tables["applications"], tables["status_changes"], tables.get("walk_ins")
    reference = apps["reference_column"]
    key = reference if reference.startswith("id_") else "id"
    if key == "id" and walk_ins and walk_ins["cursor_column"] not in apps["columns"]:
        key = walk_ins["cursor_column"]  # the counter view pages by the table's own key (id_perkawinan)
    spec = _table(specs, apps["table"], key)
    if reference != key:
        spec.generated_reference = reference
        spec.columns[reference] = REFERENCE_TEXT
    spec.columns.setdefault(apps["national_id_column"], NATIONAL_ID)
    spec.lookup_columns.add(apps["national_id_column"])
    for name, expression in apps["columns"].items():
        _merge(spec.columns, name, column_type(expression, package["form"]))
    log = dict(changes["columns"])
    status_view = changes["table"] if is_view(changes["table"]) else None
    log_table = f"{apps['table']}_log" if status_view else changes["table"]
    event = log.get("event_id") or changes["cursor_column"]
    if changes["cursor_column"] not in (event, log["changed_at"]):
        raise ValueError(f"{package['id']}: status_changes.cursor_column must be its event_id or changed_at column")
    log["event_id"] = event
    log_spec = _table(specs, log_table, event)
    log_spec.columns.setdefault(log["reference"], sa.Integer() if reference == key else REFERENCE_TEXT)
    log_spec.columns.setdefault(log["status"], STATUS_CODE)
    log_spec.columns.setdefault(log["changed_at"], TIMESTAMP)
    if "note" in log:
        log_spec.columns.setdefault(log["note"], sa.String(255))
    if "national_id" in log and status_view is None:
        log_spec.columns.setdefault(log["national_id"], NATIONAL_ID)
    walk_in_view = walk_ins["table"] if walk_ins and walk_ins["table"] != apps["table"] else None
    return PackagePlan(
        package=package,
        applications=apps["table"],
        key=key,
        reference=reference,
        national_id=apps["national_id_column"],
        discriminators={c: v for c, e in apps["columns"].items() if (v := literal(e)) is not None},
        log_table=log_table,
        log=log,
        status_view=status_view,
        walk_in_view=walk_in_view,
        walk_in_cursor=walk_ins["cursor_column"] if walk_ins else None,
        ladder=StatusLadder(package["local_system"]["status_map"]),
    )


def _merge(columns: dict[str, sa.types.TypeEngine[Any]], name: str, type_: sa.types.TypeEngine[Any]) -> None:
    """Add a column; when packages sharing a table disagree, the wider type holds both (text widest)."""
    seen = columns.get(name)
    if seen is None:
        columns[name] = type_
    elif isinstance(seen, sa.String) and isinstance(type_, sa.String) and not isinstance(seen, sa.Text):
        if isinstance(type_, sa.Text) or (type_.length or 0) > (seen.length or 0):
            columns[name] = type_
    elif type(seen) is not type(type_):
        columns[name] = sa.Text()


def _table(specs: dict[str, TableSpec], name: str, key: str) -> TableSpec:
    spec = specs.setdefault(name, TableSpec(name, key))
    if spec.key != key:
        raise ValueError(f"table {name}: packages disagree on its key ({spec.key} or {key})")
    return spec
