"""Style (c): a local system with no API — tables (and views) in a real PostgreSQL or MariaDB database, as
the kind "sql" packages declare them (the shape of many regional PHP applications).

    system = SqlLocalSystem("postgresql+psycopg://postgres@127.0.0.1/db", packages, seed=7)
    system.create_schema()          # tables, sequences, views for every sql package given; no rows
    ...                             # the hub inserts applications, reads status changes and walk-ins
    system.officers_step(3)         # three officers' rounds: status-change rows with increasing ids
    system.create_walk_ins(2)       # two counter applications per package that declares walk-ins
    system.truth()                  # what the tables hold, per package
    system.drop()                   # remove all of it

Officers pick up rows the hub inserted (no status yet) by writing their first status (received), then
move them on; ``start_pace(seconds)`` does a round every interval from a background thread.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from registry.synthetic.forms import sample_form
from sandbox.local.clock import WIB, Clock, format_time
from sandbox.local.mapping import build_object
from sandbox.local.pace import Pace
from sandbox.local.sql_plan import PackagePlan, TableSpec, plan_package
from sandbox.local.sql_schema import SqlSchema
from sandbox.local.sql_values import from_database_time, to_column, to_database_time, to_json

WALK_IN_CHANNEL = "LOKET"  # what the counter application writes in the channel column
_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}


def database_url(url: str) -> str:
    """A URL with the driver the hub ships (``mariadb://root@host/db`` -> ``mysql+pymysql://...``)."""
    parsed = make_url(url)
    return (
        url
        if "+" in parsed.drivername
        else parsed.set(drivername=_DRIVERS[parsed.drivername]).render_as_string(hide_password=False)
    )


def _inserted_key(result: sa.CursorResult[Any]) -> Any:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database did not report the new row's key")
    return key[0]


class SqlLocalSystem:
    """The simulated database of the kind "sql" packages among ``packages``."""

    def __init__(
        self, db_url: str, packages: list[dict[str, Any]], seed: int = 0, unique_national_id: bool = False
    ) -> None:
        specs: dict[str, TableSpec] = {}
        self.plans = [plan_package(p, specs) for p in packages if p.get("local_system", {}).get("kind") == "sql"]
        # hide_parameters: the rows are (synthetic) personal data; the demo logs as the hub does
        self.engine = sa.create_engine(database_url(db_url), pool_pre_ping=True, hide_parameters=True)
        self.dialect = self.engine.dialect.name
        # unique_national_id: a UNIQUE national-id column turns a duplicate delivery into an error instead of a row
        self.schema = SqlSchema(self.plans, specs, self.engine.dialect, unique_national_id)
        self.clock = Clock()
        self.officer_rng = random.Random(seed)  # noqa: S311 - reproducible simulation, not cryptography
        self.counter_rng = random.Random(seed + 1)  # noqa: S311 - walk-in forms, independent of the officers
        self.pace = Pace(self._tick)

    def plan(self, package_id: str) -> PackagePlan:
        """The layout of one package."""
        return next(p for p in self.plans if p.package_id == package_id)

    def create_schema(self) -> None:
        """Create every table, sequence and view (seeds nothing)."""
        with self.engine.begin() as conn:
            self.schema.create(conn)

    def drop(self) -> None:
        """Drop everything ``create_schema`` made and release the connections."""
        self.pace.stop()
        with self.engine.begin() as conn:
            self.schema.drop(conn)
        self.engine.dispose()

    def start_pace(self, interval_s: float) -> None:
        """An officers' round every ``interval_s`` seconds, in the background."""
        self.pace.start(interval_s)

    def _tick(self) -> None:
        self.officers_step(1)

    def stop_pace(self) -> None:
        """Stop the background pace."""
        self.pace.stop()

    def _selected(self, package_id: str | None) -> list[PackagePlan]:
        return [p for p in self.plans if package_id in (None, p.package_id)]

    def _applications(self, conn: Connection, plan: PackagePlan) -> list[tuple[Any, Any, Any]]:
        """(key, reference, national id) of the package's rows, in key order."""
        apps = self.schema.tables[plan.applications]
        query = sa.select(apps.c[plan.key], apps.c[plan.reference], apps.c[plan.national_id])
        where = [apps.c[c] == v for c, v in plan.discriminators.items()]
        rows: list[Any] = list(conn.execute(query.where(*where).order_by(apps.c[plan.key])))
        return [(row[0], row[1], row[2]) for row in rows]

    def _history(self, conn: Connection, plan: PackagePlan) -> list[dict[str, Any]]:
        """Rows of the package's base log table (all services sharing it), in event order."""
        log = self.schema.tables[plan.log_table]
        return [dict(row._mapping) for row in conn.execute(sa.select(log).order_by(log.c[plan.log["event_id"]]))]

    def officers_step(self, n: int = 1, package_id: str | None = None) -> list[dict[str, Any]]:
        """``n`` officers' rounds: every unfinished application moves at most one status per round."""
        made: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            for _ in range(n):
                for plan in self._selected(package_id):
                    current = {row[plan.log["reference"]]: row[plan.log["status"]] for row in self._history(conn, plan)}
                    for row in self._applications(conn, plan):
                        following = plan.ladder.next(current.get(row[1]), self.officer_rng)
                        if following is not None:
                            made.append(self._record(conn, plan, row[1], row[2], following))
        return made

    def _record(
        self, conn: Connection, plan: PackagePlan, reference: Any, national_id: Any, status: str
    ) -> dict[str, Any]:
        log, roles = self.schema.tables[plan.log_table], plan.log
        now = self.clock.now()
        values = {
            roles["reference"]: reference,
            roles["status"]: status,
            roles["changed_at"]: to_database_time(now, self.dialect),
        }
        if "note" in roles:
            values[roles["note"]] = plan.ladder.note(status)
        if "national_id" in roles and roles["national_id"] in log.c:
            values[roles["national_id"]] = national_id
        event_id = _inserted_key(conn.execute(sa.insert(log).values(values)))
        return {
            "package_id": plan.package_id,
            "event_id": event_id,
            "reference": reference,
            "national_id": national_id,
            "status": status,
            "national_status": plan.ladder.national(status),
            "changed_at": format_time(now, WIB),
        }

    def create_walk_ins(self, n: int = 1, package_id: str | None = None) -> list[dict[str, Any]]:
        """``n`` counter applications for every package that declares walk-ins (valid forms, no national id),
        each with its first status recorded."""
        made: list[dict[str, Any]] = []
        with self.engine.begin() as conn:
            for plan in self._selected(package_id):
                if plan.package["local_system"]["tables"].get("walk_ins") is None:
                    continue
                for _ in range(n):
                    made.append(self._walk_in(conn, plan))
        return made

    def _walk_in(self, conn: Connection, plan: PackagePlan) -> dict[str, Any]:
        package, apps = plan.package, self.schema.tables[plan.applications]
        envelope = {"id": None, "submitted_at": self.clock.now().isoformat(), "channel": WALK_IN_CHANNEL}
        form = sample_form(package["form"], self.counter_rng, region=package.get("region"))
        mapped = build_object(
            package["local_system"]["tables"]["applications"]["columns"], {"application": envelope, "form": form}
        )
        row = {name: to_column(value, apps.c[name].type, self.dialect) for name, value in mapped.items()}
        key = _inserted_key(conn.execute(sa.insert(apps).values(row)))
        reference = conn.execute(sa.select(apps.c[plan.reference]).where(apps.c[plan.key] == key)).scalar_one()
        self._record(conn, plan, reference, None, plan.ladder.initial)
        return {"package_id": plan.package_id, "reference": reference, "key": key, "form": form}

    def truth(self) -> dict[str, Any]:
        """What the tables hold, per package: applications with their current status, status changes,
        walk-ins, and how many rows each national id has (more than one = a duplicate delivery)."""
        report: dict[str, Any] = {}
        with self.engine.connect() as conn:
            for plan in self.plans:
                applications = self._applications(conn, plan)
                mine = {row[1] for row in applications}
                national = {row[1]: row[2] for row in applications}
                changes = [r for r in self._history(conn, plan) if r[plan.log["reference"]] in mine]
                current = {c[plan.log["reference"]]: c[plan.log["status"]] for c in changes}
                report[plan.package_id] = {
                    "applications": [
                        {
                            "reference": to_json(r[1]),
                            "national_id": r[2],
                            "walk_in": r[2] is None,
                            "status": current.get(r[1]),
                        }
                        for r in applications
                    ],
                    "status_changes": [
                        {
                            "event_id": c[plan.log["event_id"]],
                            "reference": to_json(c[plan.log["reference"]]),
                            "national_id": national[c[plan.log["reference"]]],
                            "status": c[plan.log["status"]],
                            "national_status": plan.ladder.national(c[plan.log["status"]]),
                            "changed_at": format_time(from_database_time(c[plan.log["changed_at"]]), WIB),
                        }
                        for c in changes
                    ],
                    "walk_ins": [to_json(r[1]) for r in applications if r[2] is None],
                    "created_per_national_id": dict(Counter(r[2] for r in applications if r[2] is not None)),
                }
        return report
