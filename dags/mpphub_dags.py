"""The hub's Airflow DAGs, generated from ``registry/index.json`` (docs/operations.md, "Airflow").

- ``mpphub_sync_<region>`` (one per region with published services, ``35.76`` -> ``mpphub_sync_35_76``):
  every few minutes, one task ``sync`` mapped over batches of the region's services
  (``MPPHUB_DAG_SERVICES_PER_TASK``, default 50; each batch one engine cycle of the outbound, walk-in and
  inbound flows), in the region's pool ``mpphub_region_<region>`` so one region's local system never sees
  more than the pool's slots of concurrent workers;
- ``mpphub_catalogue``: hourly, pushes every service's latest version to the national catalogue;
- ``mpphub_reconcile``: daily, compares per-(region, service, day) counts and checksums, reports drift.

Parse time reads only the index (through a small cached plan), never the network, a database, a
Variable or a Connection; the connectors are imported inside the tasks. When Airflow runs a task it
tells the parser which DAG it needs (``get_parsing_context``): only that DAG is built.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_parsing_context

# The helper package sits beside this file. Airflow puts a bundle's folder on sys.path in its DAG
# processor and workers, but not everywhere (a bare DagBag, `airflow dags test`): make it importable.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from mpphub_airflow import plan
from mpphub_airflow.operators import HubOperator

START = datetime(2026, 1, 1, tzinfo=UTC)
SYNC_EVERY = timedelta(minutes=float(os.environ.get("MPPHUB_SYNC_INTERVAL_MINUTES") or 5))
# Given to each operator rather than as the DAGs' default_args: the same effect, and a third less
# serialization work per DAG (measured with bench/dag_parse.py).
TASK_ARGS: dict[str, Any] = {
    "owner": "mpphub",
    # retriable errors: 1, 2, 4, 8 ... minutes apart, at most 30 (the flows already retried each item)
    "retries": 5,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
}
CATALOGUE_DAG_ID = "mpphub_catalogue"
RECONCILE_DAG_ID = "mpphub_reconcile"


def mapped(action: str, items: list[str], per_batch: int = 1, **kwargs: Any) -> None:
    """Task ``action`` mapped over ``items`` in batches of ``per_batch``, at most 1,024 of them (Airflow's
    ``max_map_length``)."""
    HubOperator.partial(
        task_id=action, action=action, map_index_template="{{ task.ids }}", **TASK_ARGS, **kwargs
    ).expand(ids=plan.mapping_items(items, per_batch=per_batch))


def region_dag(region: str, services: list[str]) -> DAG:
    """The sync DAG of one region."""
    with DAG(
        dag_id=plan.region_dag_id(region),
        # in the operators' language, named as in the region table (the UI lists DAGs by id and description)
        description=f"Sinkronisasi layanan {plan.region_label(region)}: {len(services)} layanan",
        schedule=SYNC_EVERY,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["mpphub", "sync", f"province-{region[:2]}"],
    ) as dag:
        mapped("sync", services, per_batch=plan.services_per_task(), pool=plan.pool_name(region))
    return dag


def catalogue_dag(services: list[str]) -> DAG:
    """The catalogue push over every published service."""
    with DAG(
        dag_id=CATALOGUE_DAG_ID,
        description=f"National catalogue push of {len(services)} services",
        schedule=timedelta(hours=1),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["mpphub", "catalogue"],
    ) as dag:
        mapped("publish", services, per_batch=plan.services_per_task())
    return dag


def reconcile_dag(regions: list[str]) -> DAG:
    """Daily reconciliation of every region with published services."""
    with DAG(
        dag_id=RECONCILE_DAG_ID,
        description=f"Reconciliation of {len(regions)} regions with the national layer",
        schedule=timedelta(days=1),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["mpphub", "reconcile"],
    ) as dag:
        mapped("reconcile", regions)
    return dag


def generate() -> None:
    """Build the DAGs the current parse needs (all of them, or only the one a task runs in)."""
    wanted = get_parsing_context().dag_id
    regions = plan.load_plan()
    for region, services in regions.items():
        if wanted is None or wanted == plan.region_dag_id(region):
            region_dag(region, services)
    if wanted in (None, CATALOGUE_DAG_ID):
        catalogue_dag([service for services in regions.values() for service in services])
    if wanted in (None, RECONCILE_DAG_ID):
        reconcile_dag(list(regions))


generate()
