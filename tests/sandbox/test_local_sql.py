"""Style (c) on the real PostgreSQL and MariaDB of this machine: every kind "sql" package gets its tables
and views in both dialects; rows inserted as the package declares are found by national id, officers'
status changes and counter walk-ins are readable exactly as the package declares them."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from sandbox.local.mapping import build_object
from sandbox.local.sql_tables import SqlLocalSystem, database_url
from sandbox.local.sql_values import to_column
from tests.sandbox.local_support import SQL, assert_legal_paths, assert_valid_form, envelope, form, ids

FIXTURES = {"postgresql": "local_postgres_db", "mariadb": "local_mariadb_db"}
SKTM = next(p for p in SQL if p["id"] == "35.76/surat-keterangan-tidak-mampu")


@pytest.fixture(params=sorted(FIXTURES))
def database(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(dialect, URL of a fresh database) for both dialects, whatever dialect a package names."""
    return request.param, request.getfixturevalue(FIXTURES[request.param])


def _insert(engine: sa.Engine, package: dict[str, Any], application: dict[str, Any], data: dict[str, Any]) -> Any:
    """Insert as the hub does: the declared columns only; the reference comes back by the national id."""
    spec = package["local_system"]["tables"]["applications"]
    table = sa.Table(spec["table"], sa.MetaData(), autoload_with=engine)
    values = build_object(spec["columns"], {"application": application, "form": data})
    row = {name: to_column(value, table.c[name].type, engine.dialect.name) for name, value in values.items()}
    with engine.begin() as conn:
        conn.execute(sa.insert(table).values(row))
        found = sa.select(table.c[spec["reference_column"]]).where(
            table.c[spec["national_id_column"]] == application["id"]
        )
        return conn.execute(found).scalar_one()


def _read(engine: sa.Engine, name: str, cursor: str, batch: int = 2) -> list[dict[str, Any]]:
    """Every row of a table or view, in small batches after the last cursor value (nothing may be skipped)."""
    table = sa.Table(name, sa.MetaData(), autoload_with=engine)
    rows: list[dict[str, Any]] = []
    last = None
    while True:
        query = sa.select(table).order_by(table.c[cursor]).limit(batch)
        if last is not None:
            query = query.where(table.c[cursor] > last)
        with engine.connect() as conn:
            page = [dict(r._mapping) for r in conn.execute(query)]
        rows.extend(page)
        if len(page) < batch:
            return rows
        last = page[-1][cursor]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


def _names(engine: sa.Engine) -> set[str]:
    inspector = sa.inspect(engine)
    return set(inspector.get_table_names()) | set(inspector.get_view_names())


def test_every_sql_sample_package_is_covered_in_both_dialects() -> None:
    assert len(SQL) == 7
    assert {p["local_system"]["dialect"] for p in SQL} == {"postgresql", "mariadb"}


@pytest.mark.parametrize("package", SQL, ids=ids(SQL))
def test_tables_rows_status_changes_and_walk_ins_as_declared(package, database) -> None:
    _, url = database
    tables, status_map = package["local_system"]["tables"], package["local_system"]["status_map"]
    system = SqlLocalSystem(url, [package], seed=4)
    system.create_schema()
    engine = sa.create_engine(database_url(url))
    try:
        assert {part["table"] for part in tables.values()} <= _names(engine)
        apps = tables["applications"]
        columns = {c["name"] for c in sa.inspect(engine).get_columns(apps["table"])}
        assert {apps["reference_column"], apps["national_id_column"], *apps["columns"]} <= columns
        assert system.truth()[package["id"]]["applications"] == []  # seeds nothing
        applications = [envelope(package) for _ in range(3)]
        references = [_insert(engine, package, a, form(package, seed=n)) for n, a in enumerate(applications)]
        national_of = dict(zip(references, (a["id"] for a in applications), strict=True))
        system.officers_step(5)
        spec = tables["status_changes"]
        roles = spec["columns"]
        rows = _read(engine, spec["table"], spec["cursor_column"])
        truth = system.truth()[package["id"]]
        events = [r[roles["event_id"]] for r in rows]
        assert events == [c["event_id"] for c in truth["status_changes"]] and events == sorted(set(events))
        times = [r[roles["changed_at"]] for r in rows]
        assert times == sorted(times)
        histories: dict[Any, list[str]] = defaultdict(list)
        for row in rows:
            histories[row[roles["reference"]]].append(row[roles["status"]])
            if "national_id" in roles:
                assert row[roles["national_id"]] == national_of[row[roles["reference"]]]
        assert set(histories) == set(references)
        assert_legal_paths(status_map, histories)
        assert truth["created_per_national_id"] == {a["id"]: 1 for a in applications}
        if "walk_ins" in tables:
            made = system.create_walk_ins(3)
            spec = tables["walk_ins"]
            rows = _read(engine, spec["table"], spec["cursor_column"])
            assert [r[spec["reference_column"]] for r in rows] == [m["reference"] for m in made]
            for row, clerk in zip(rows, made, strict=True):
                national_form = build_object(spec["form"], _jsonable(row))
                assert_valid_form(package, national_form)
                assert national_form == {f: clerk["form"][f] for f in spec["form"] if f in clerk["form"]}
            assert system.truth()[package["id"]]["walk_ins"] == [m["reference"] for m in made]
    finally:
        engine.dispose()
        system.drop()
    engine = sa.create_engine(database_url(url))
    assert _names(engine) == set()  # drop() removes everything create_schema() made
    engine.dispose()


def test_packages_sharing_a_table_each_see_only_their_own_history(database) -> None:
    _, url = database
    bidan, perawat = (next(p for p in SQL if p["id"] == f"35.76/izin-praktik-{k}") for k in ("bidan", "perawat"))
    system = SqlLocalSystem(url, SQL, seed=1)
    system.create_schema()
    engine = sa.create_engine(database_url(url))
    try:
        mine = {
            package["id"]: {_insert(engine, package, envelope(package), form(package, n)) for n in range(count)}
            for package, count in ((bidan, 2), (perawat, 3))
        }
        assert system.plan(bidan["id"]).applications == system.plan(perawat["id"]).applications
        system.officers_step(2)
        for package in (bidan, perawat):
            spec = package["local_system"]["tables"]["status_changes"]
            rows = _read(engine, spec["table"], spec["cursor_column"], batch=50)
            assert {r[spec["columns"]["reference"]] for r in rows} == mine[package["id"]]
            assert len(rows) == len(system.truth()[package["id"]]["status_changes"]) == 2 * len(mine[package["id"]])
    finally:
        engine.dispose()
        system.drop()


@pytest.mark.parametrize("unique", [False, True])
def test_a_duplicate_delivery_shows_in_truth_or_is_refused_when_unique(unique, local_mariadb_db) -> None:
    system = SqlLocalSystem(local_mariadb_db, [SKTM], unique_national_id=unique)
    system.create_schema()
    engine = sa.create_engine(database_url(local_mariadb_db))
    application = envelope(SKTM)
    try:
        _insert(engine, SKTM, application, form(SKTM))
        if unique:
            with pytest.raises(IntegrityError):
                _insert(engine, SKTM, application, form(SKTM))
        else:
            with engine.begin() as conn:  # a blind retry: the same row again
                table = sa.Table("tb_sktm", sa.MetaData(), autoload_with=conn)
                conn.execute(sa.insert(table).values(no_mpp_digital=application["id"], nama="x"))
            assert system.truth()[SKTM["id"]]["created_per_national_id"] == {application["id"]: 2}
    finally:
        engine.dispose()
        system.drop()


def test_background_pace_in_the_database(local_postgres_db) -> None:
    system = SqlLocalSystem(local_postgres_db, [SKTM], seed=3)
    system.create_schema()
    try:
        system.create_walk_ins(2)
        system.start_pace(0.05)
        deadline = time.monotonic() + 5
        while len(system.truth()[SKTM["id"]]["status_changes"]) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        system.stop_pace()
        assert len(system.truth()[SKTM["id"]]["status_changes"]) >= 6
    finally:
        system.drop()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mariadb://root@127.0.0.1:3306/db", "mysql+pymysql://root@127.0.0.1:3306/db"),
        ("postgresql://postgres@127.0.0.1/db", "postgresql+psycopg://postgres@127.0.0.1/db"),
        ("postgresql+psycopg://postgres@127.0.0.1/db", "postgresql+psycopg://postgres@127.0.0.1/db"),
    ],
)
def test_database_urls_get_the_drivers_the_hub_ships(given, expected) -> None:
    assert database_url(given) == expected
