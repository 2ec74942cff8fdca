"""Airflow for the tests: a throw-away AIRFLOW_HOME with a SQLite metadata database, the project's dags/
folder, no examples. Set before anything imports Airflow (it reads its configuration on import)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="mpphub-airflow-test-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, True)

AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "MPPHUB_DAG_CACHE_DIR": str(AIRFLOW_HOME / "plan-cache"),
    # the DAGs' tasks sync the loopback sandbox: opt in explicitly (tests/conftest.py sets it for the
    # suite too; repeated here because Airflow components get this environment)
    "MPPHUB_ALLOW_LOOPBACK": "1",
}
os.environ.update(AIRFLOW_ENV)
if str(DAGS) not in sys.path:
    sys.path.append(str(DAGS))

AIRFLOW = Path(sys.executable).parent / "airflow"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """Airflow's metadata database, migrated once per session (``airflow db migrate``)."""
    done = subprocess.run(
        [str(AIRFLOW), "db", "migrate"], env={**os.environ, **AIRFLOW_ENV}, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield AIRFLOW_HOME / "airflow.db"
