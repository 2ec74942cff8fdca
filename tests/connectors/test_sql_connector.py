"""The sql connector kind on the real PostgreSQL and MariaDB of this machine, driven only by a package."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors.errors import FatalError, RecordError, RetriableError
from connectors.records import LOCAL_DEFAULT_TZ, BadRecord, ChangeRecord
from connectors.secrets import StaticSecrets
from connectors.sql import PAGE_SIZE, SqlConnector
from tests.conftest import REPO

PACKAGE = json.loads((REPO / "registry/packages/35.76/surat-keterangan-tidak-mampu.json").read_text())
ADMIN = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
}
DDL = {
    "postgresql": [
        "CREATE TABLE tb_sktm (id_sktm SERIAL PRIMARY KEY, no_mpp_digital VARCHAR(80) UNIQUE, tgl_masuk TIMESTAMPTZ, sumber VARCHAR(10),"
        " nik VARCHAR(16), nama VARCHAR(100), no_hp VARCHAR(20), no_kk VARCHAR(16), alamat TEXT, rt VARCHAR(3), rw VARCHAR(3),"
        " kelurahan VARCHAR(60), pekerjaan VARCHAR(60), penghasilan INTEGER, jml_tanggungan INTEGER, keperluan TEXT,"
        " instansi_tujuan VARCHAR(100), nik_dibantu VARCHAR(16), nama_dibantu VARCHAR(100), status_dtks BOOLEAN, status VARCHAR(2))",
        "CREATE TABLE tb_sktm_log (id_log SERIAL PRIMARY KEY, id_sktm INTEGER, status VARCHAR(2), tgl_update TIMESTAMP, keterangan TEXT)",
    ],
    "mariadb": [
        "CREATE TABLE tb_sktm (id_sktm INT AUTO_INCREMENT PRIMARY KEY, no_mpp_digital VARCHAR(80) UNIQUE, tgl_masuk DATETIME, sumber VARCHAR(10),"
        " nik VARCHAR(16), nama VARCHAR(100), no_hp VARCHAR(20), no_kk VARCHAR(16), alamat TEXT, rt VARCHAR(3), rw VARCHAR(3),"
        " kelurahan VARCHAR(60), pekerjaan VARCHAR(60), penghasilan INT, jml_tanggungan INT, keperluan TEXT,"
        " instansi_tujuan VARCHAR(100), nik_dibantu VARCHAR(16), nama_dibantu VARCHAR(100), status_dtks BOOLEAN, status VARCHAR(2))",
        "CREATE TABLE tb_sktm_log (id_log INT AUTO_INCREMENT PRIMARY KEY, id_sktm INT, status VARCHAR(2), tgl_update DATETIME, keterangan TEXT)",
    ],
}


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    dialect = request.param
    name = f"mpphub_sql_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN[dialect], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = ADMIN[dialect].rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in DDL[dialect]:
            conn.execute(text(statement))
    engine.dispose()
    try:
        yield dialect, url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}" + (" WITH (FORCE)" if dialect == "postgresql" else "")))
        admin.dispose()


def _connector(database: tuple[str, str]) -> SqlConnector:
    dialect, url = database
    package = json.loads(json.dumps(PACKAGE))
    package["local_system"]["dialect"] = dialect
    return SqlConnector(package, StaticSecrets({"R3576_DINSOS_DB_URL": url}))


FORM = {
    "nik_pemohon": "3576014501900004",
    "nama_pemohon": "Sri Wahyuni",
    "no_hp_pemohon": "081355501234",
    "no_kk": "3576010101900002",
    "alamat": "Jl. Majapahit 12",
    "rt": "003",
    "rw": "002",
    "kelurahan": "Mentikan",
    "pekerjaan": "Buruh",
    "penghasilan_per_bulan": 900000,
    "jumlah_tanggungan": 3,
    "keperluan": "Keringanan biaya sekolah",
    "instansi_tujuan": "SMPN 2 Mojokerto",
    "terdaftar_dtks": True,
}


def _envelope(n: int) -> dict[str, Any]:
    return {"id": f"NAT-{n}", "submitted_at": "2026-11-02T01:00:00Z", "channel": "online"}


def test_submit_lookup_and_status_changes(database: tuple[str, str]) -> None:
    connector = _connector(database)
    first = connector.submit(_envelope(1), FORM)
    second = connector.submit(_envelope(2), FORM)
    assert first != second
    assert connector.lookup(_envelope(1)) == first
    assert connector.lookup(_envelope(99)) is None
    with connector.engine.begin() as conn:
        row = conn.execute(
            text("select nama, tgl_masuk, penghasilan from tb_sktm where id_sktm = :r"), {"r": int(first)}
        ).one()
        assert row[0] == "Sri Wahyuni" and row[2] == 900000
        # 01:00Z: a timestamptz keeps the instant; a MariaDB DATETIME holds the WIB wall clock, 08:00
        stored = row[1] if row[1].tzinfo else row[1].replace(tzinfo=LOCAL_DEFAULT_TZ)
        assert stored.astimezone(UTC).hour == 1
        for _ in range(PAGE_SIZE + 3):
            conn.execute(
                text("insert into tb_sktm_log (id_sktm, status, tgl_update) values (:r, '1', '2026-11-02 09:00:00')"),
                {"r": int(first)},
            )
        conn.execute(
            text("insert into tb_sktm_log (id_sktm, status, tgl_update) values (:r, '2', NULL)"), {"r": int(first)}
        )
    pages = list(connector.status_changes(None))
    records = [r for page in pages for r in page]
    assert len(pages) == 2 and len(records) == PAGE_SIZE + 4
    good = [r for r in records if isinstance(r, ChangeRecord)]
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert len(good) == PAGE_SIZE + 3 and good[0].reference == first and good[0].status == "1"
    assert len(bad) == 1 and "unreadable local record" in bad[0].reason
    # from a cursor: only newer rows
    assert sum(len(p) for p in connector.status_changes(good[-1].cursor)) == 1
    connector.close()


def test_duplicate_national_id_is_a_record_error(database: tuple[str, str]) -> None:
    connector = _connector(database)
    connector.submit(_envelope(1), FORM)
    with pytest.raises(RecordError, match="refused the row"):
        connector.submit(_envelope(1), FORM)
    connector.close()


def test_wrong_table_is_fatal(database: tuple[str, str]) -> None:
    connector = _connector(database)
    connector.tables["applications"]["table"] = "tb_tidak_ada"
    with pytest.raises(FatalError, match="does the package match the tables"):
        connector.submit(_envelope(1), FORM)
    connector.close()


def test_unreachable_database_is_retriable() -> None:
    package = json.loads(json.dumps(PACKAGE))
    connector = SqlConnector(package, StaticSecrets({"R3576_DINSOS_DB_URL": "mariadb://root@127.0.0.1:1/x"}))
    with pytest.raises(RetriableError, match="unavailable"):
        connector.lookup(_envelope(1))
