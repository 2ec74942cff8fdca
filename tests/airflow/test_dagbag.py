"""The DAG folder as Airflow's DAG processor sees it: no import errors, exactly the expected DAGs for the
sample registry, each region's task mapped over its services in its pool, retries with backoff."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.airflow.conftest import DAGS, REPO

# one sync DAG per region with packages: the hand-written ones' and the regions adopting templates'
REGIONS = sorted(
    {
        e["region"]
        for e in json.loads((REPO / "registry" / "index.json").read_text(encoding="utf-8"))["packages"].values()
    }
)
EXPECTED = {"mpphub_catalogue", "mpphub_reconcile"} | {"mpphub_sync_" + r.replace(".", "_") for r in REGIONS}


def dagbag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_the_folder_imports_cleanly_with_the_expected_dags() -> None:
    bag = dagbag()
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == EXPECTED
    assert {"35", "35.16", "35.76", "35.78", "35.01", "35.79"} <= set(REGIONS)


def test_each_region_task_is_mapped_over_its_services_in_the_region_pool() -> None:
    index = json.loads((REPO / "registry" / "index.json").read_text(encoding="utf-8"))
    bag = dagbag()
    for region in REGIONS:
        dag = bag.dags["mpphub_sync_" + region.replace(".", "_")]
        (task,) = dag.tasks
        assert task.task_id == "sync"
        assert task.pool == "mpphub_region_" + region.replace(".", "_")
        # a region's services in batches of up to 50, one engine cycle each (every sample region: one batch)
        assert task.expand_input.value["ids"] == [
            ",".join(sorted(s for s, e in index["packages"].items() if e["region"] == region))
        ]
        assert task.partial_kwargs["retries"] == 5
        assert task.partial_kwargs["retry_exponential_backoff"] == 2.0
        assert task.partial_kwargs["max_retry_delay"] == timedelta(minutes=30)
        assert dag.max_active_runs == 1
    (publish,) = bag.dags["mpphub_catalogue"].tasks
    assert sorted(i for batch in publish.expand_input.value["ids"] for i in batch.split(",")) == sorted(
        index["packages"]
    )
    (reconcile,) = bag.dags["mpphub_reconcile"].tasks
    assert reconcile.expand_input.value["ids"] == REGIONS


def test_a_task_run_parses_only_its_own_dag(monkeypatch: pytest.MonkeyPatch) -> None:
    # what Airflow's task runner sets before it parses the file
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "mpphub_sync_35_76")
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_TASK_ID", "sync")
    bag = dagbag()
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"mpphub_sync_35_76"}


def test_no_index_means_only_the_national_dags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPPHUB_REGISTRY", str(tmp_path))
    bag = dagbag()
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"mpphub_catalogue", "mpphub_reconcile"}
    assert os.environ["MPPHUB_REGISTRY"] == str(tmp_path)


@pytest.mark.parametrize(
    ("count", "expected_items", "largest_batch"),
    [(0, 0, 0), (1, 1, 1), (1024, 1024, 1), (1025, 513, 2), (100_000, 1021, 98)],
)
def test_mapping_never_exceeds_airflows_limit(count: int, expected_items: int, largest_batch: int) -> None:
    from mpphub_airflow.plan import MAX_MAP_LENGTH, mapping_items

    ids = [f"35.76/s{i:06d}" for i in range(count)]
    items = mapping_items(ids)
    assert len(items) == expected_items <= MAX_MAP_LENGTH
    assert [i for item in items for i in item.split(",")] == ids  # every id once, in order
    assert max((len(item.split(",")) for item in items), default=0) == largest_batch


def test_a_large_region_is_batched_in_its_dag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = json.loads((REPO / "registry" / "index.json").read_text(encoding="utf-8"))["packages"][
        "35.76/akta-kelahiran"
    ]
    packages = {f"35.76/layanan-{i:04d}": entry for i in range(2500)}
    (tmp_path / "index.json").write_text(json.dumps({"index_format": "1", "packages": packages}), encoding="utf-8")
    monkeypatch.setenv("MPPHUB_REGISTRY", str(tmp_path))
    bag = dagbag()
    (task,) = bag.dags["mpphub_sync_35_76"].tasks
    items = task.expand_input.value["ids"]
    # 50 services a task by default (MPPHUB_DAG_SERVICES_PER_TASK): each batch is one engine cycle
    assert len(items) == 50 and sum(len(i.split(",")) for i in items) == 2500
    assert {len(i.split(",")) for i in items} == {50}


@pytest.mark.parametrize(
    ("count", "per_batch", "expected_items", "largest_batch"),
    [(1, 50, 1, 1), (181, 50, 4, 46), (100, 50, 2, 50), (100_000, 200, 500, 200), (100_000, 50, 1021, 98)],
)
def test_services_are_batched_per_task_within_airflows_limit(
    count: int, per_batch: int, expected_items: int, largest_batch: int
) -> None:
    from mpphub_airflow.plan import MAX_MAP_LENGTH, mapping_items

    ids = [f"35.76/s{i:07d}" for i in range(count)]
    items = mapping_items(ids, per_batch=per_batch)
    assert len(items) == expected_items <= MAX_MAP_LENGTH
    assert [i for item in items for i in item.split(",")] == ids
    assert max(len(item.split(",")) for item in items) == largest_batch


def test_services_per_task_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpphub_airflow.plan import services_per_task

    assert services_per_task() == 50
    monkeypatch.setenv("MPPHUB_DAG_SERVICES_PER_TASK", "10")
    assert services_per_task() == 10
    monkeypatch.setenv("MPPHUB_DAG_SERVICES_PER_TASK", "lots")
    assert services_per_task() == 50, "not a number: the default"


@pytest.mark.parametrize("layout", ["canonical", "compact"])
def test_the_plan_reads_the_same_ids_from_any_index_layout(tmp_path: Path, layout: str) -> None:
    from mpphub_airflow.plan import _plan_from_index

    from registry.index import load_index, save_index

    index = load_index(REPO / "registry")
    entry = index["packages"]["35.76/akta-kelahiran"]
    index["packages"].update({f"{r}/layanan-{i}": {**entry, "region": r} for i in range(3) for r in ("11.01", "35")})
    if layout == "canonical":
        save_index(tmp_path, index)  # what mpphub publish writes
    else:
        (tmp_path / "index.json").write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
    expected: dict[str, list[str]] = {}
    for service_id, found in sorted(index["packages"].items()):
        expected.setdefault(found["region"], []).append(service_id)
    assert _plan_from_index(tmp_path / "index.json") == {r: sorted(ids) for r, ids in sorted(expected.items())}


def test_each_region_dag_is_described_by_the_regions_name() -> None:
    from registry.regions import region_table

    bag = dagbag()
    table = region_table()
    assert bag.dags["mpphub_sync_35_76"].description.startswith("Sinkronisasi layanan Kota Mojokerto (35.76): ")
    assert bag.dags["mpphub_sync_35"].description.startswith("Sinkronisasi layanan Provinsi Jawa Timur (35): ")
    for region in REGIONS:
        found = table.get(region)
        assert found is not None, region
        description = bag.dags["mpphub_sync_" + region.replace(".", "_")].description
        assert f"{found.name} ({region})" in description, description


def test_a_code_outside_the_region_table_still_gets_a_description() -> None:
    from mpphub_airflow.plan import region_label

    assert region_label("35.16") == "Kabupaten Mojokerto (35.16)"
    assert region_label("99.99") == "wilayah 99.99"
