"""Parse time does no I/O beyond the index: the DAG folder is parsed in a fresh interpreter where opening
a socket, a SQLite or PostgreSQL connection, or reading a Variable or Connection raises — with a registry
that holds nothing but ``index.json`` — and the connectors are not even imported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.airflow.conftest import AIRFLOW_ENV, DAGS, REPO
from tests.airflow.test_dagbag import EXPECTED

PARSE = r"""
import json, socket, sqlite3, sys
import psycopg

from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Connection, Variable

attempts = []

def refuse(what):
    def refused(*args, **kwargs):
        attempts.append(what)
        raise OSError(f"{what} at parse time")
    return refused

socket.socket.connect = refuse("socket.connect")
socket.socket.connect_ex = refuse("socket.connect_ex")
socket.create_connection = refuse("socket.create_connection")
socket.getaddrinfo = refuse("socket.getaddrinfo")
sqlite3.connect = refuse("sqlite3.connect")
psycopg.connect = refuse("psycopg.connect")
Variable.get = refuse("Variable.get")
Connection.get = refuse("Connection.get")

bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "dag_ids": sorted(bag.dag_ids),
    "errors": bag.import_errors,
    "attempts": attempts,
    "connectors_imported": sorted(m for m in sys.modules if m == "connectors" or m.startswith("connectors.")),
}))
"""


def test_parsing_touches_no_network_database_variable_or_connection(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    shutil.copy(REPO / "registry" / "index.json", registry / "index.json")
    env = {**os.environ, **AIRFLOW_ENV, "MPPHUB_REGISTRY": str(registry), "MPPHUB_DAG_CACHE_DIR": str(tmp_path)}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(DAGS)], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert report["attempts"] == []
    assert set(report["dag_ids"]) == EXPECTED
    assert report["connectors_imported"] == []


def test_the_checker_sees_a_dag_file_that_opens_a_socket(tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "bad_dag.py").write_text(
        "import socket\nfrom airflow.sdk import DAG\nsocket.create_connection(('127.0.0.1', 9))\nDAG('bad')\n"
    )
    env = {**os.environ, **AIRFLOW_ENV, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", PARSE, str(folder)], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["attempts"] == ["socket.create_connection"]
    assert report["errors"] and report["dag_ids"] == []
