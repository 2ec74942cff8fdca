"""Benchmark: parse the DAG folder the way Airflow's DAG processor does, for generated national registries.

For each size (default 552, 10,000 and 100,000 packages over the 552 real regions; or --packages N) it
writes a registry holding only ``index.json`` (all the DAG file reads), then in a fresh interpreter per
measurement does what the DAG processor does per file (``airflow.dag_processing.processor._parse_file``):
a ``BundleDagBag`` over ``dags/`` and ``DagSerialization.to_dict`` of every DAG. Two measurements:

* **cold** — the first parse after the index changed: reads the whole ``index.json`` and writes the plan
  cache (``dags/mpphub_airflow/plan.py``);
* **warm** — every later parse (the processor re-parses the file every ``refresh_interval``).

``parse_seconds`` is the cold figure (the worst case). Peak RSS is the child's own high-water mark
(``VmHWM``; ``ru_maxrss`` would report the parent's, which holds the generated index); the baseline,
measured in the same run, is the same parse with an empty registry (the catalogue and reconciliation
DAGs only): the ratios say what the registry adds. Target (DESIGN.md): under 5 s at 100,000 packages.

    .venv/bin/python bench/dag_parse.py [--packages N] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from registry.regions import region_table  # noqa: E402

DAGS = REPO / "dags"
SIZES = (552, 10_000, 100_000)

CHILD = r"""
import json, sys, time
from pathlib import Path


def peak_rss_mb():
    # VmHWM: this process's own high-water mark (ru_maxrss would include the parent's, kept across exec)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


import airflow.dag_processing.processor  # the processor pre-imports Airflow before parsing a file
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.serialization.serialized_objects import DagSerialization

dags = Path(sys.argv[1])
start, cpu_start = time.perf_counter(), time.process_time()
bag = BundleDagBag(dag_folder=str(dags / "mpphub_dags.py"), bundle_path=dags, bundle_name="dags-folder",
                   load_op_links=False)
parsed = time.perf_counter()
serialized = [DagSerialization.to_dict(dag) for dag in bag.dags.values()]
done, cpu_done = time.perf_counter(), time.process_time()
print(json.dumps({
    "cpu_seconds": cpu_done - cpu_start,
    "dags": len(bag.dags),
    "tasks": sum(len(d.tasks) for d in bag.dags.values()),
    "errors": len(bag.import_errors),
    "import_seconds": parsed - start,
    "serialize_seconds": done - parsed,
    "seconds": done - start,
    "peak_rss_mb": peak_rss_mb(),
}))
"""


def write_index(registry: Path, count: int) -> int:
    """A registry of ``count`` packages, round-robin over the real regions, entries shaped like the
    sample index's; returns the index size in bytes."""
    sample = json.loads((REPO / "registry" / "index.json").read_text(encoding="utf-8"))
    templates = list(sample["packages"].values())
    regions = [r.code for r in region_table().all()]
    packages = {}
    for i in range(count):
        region = regions[i % len(regions)]
        entry = copy.deepcopy(templates[i % len(templates)])
        service_id = f"{region}/layanan-{i // len(regions):04d}"
        entry["region"] = region
        for version, info in entry["versions"].items():
            info["path"] = f"published/{service_id}/{version}.json"
        packages[service_id] = entry
    index = {**sample, "packages": packages}
    registry.mkdir(parents=True, exist_ok=True)
    text = json.dumps(index, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (registry / "index.json").write_text(text, encoding="utf-8")
    return len(text.encode())


def parse_once(registry: Path, cache: Path, home: Path) -> dict[str, Any]:
    """One DAG-processor parse in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "_AIRFLOW"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "MPPHUB_REGISTRY": str(registry),
            "MPPHUB_DAG_CACHE_DIR": str(cache),
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(DAGS)], env=env, capture_output=True, text=True, timeout=600, cwd=home
    )
    if done.returncode != 0:
        raise SystemExit(f"parse failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise SystemExit(f"the DAG folder has {result['errors']} import errors at this size")
    return result


def measure(count: int, work: Path) -> dict[str, Any]:
    """Cold and warm parse of a registry of ``count`` packages."""
    registry, cache, home = work / f"registry-{count}", work / f"cache-{count}", work / "home"
    cache.mkdir(parents=True)
    home.mkdir(exist_ok=True)
    index_bytes = write_index(registry, count) if count else 0
    cold = parse_once(registry, cache, home)
    warm = parse_once(registry, cache, home)
    return {
        "packages": count,
        "index_mb": round(index_bytes / 1e6, 1),
        "dags": cold["dags"],
        "parse_seconds": round(cold["seconds"], 3),
        "import_seconds": round(cold["import_seconds"], 3),
        "serialize_seconds": round(cold["serialize_seconds"], 3),
        "warm_parse_seconds": round(warm["seconds"], 3),
        # CPU time of the parse: what the wall time would be on an idle core (other load inflates wall time)
        "cold_cpu_seconds": round(cold["cpu_seconds"], 3),
        "warm_cpu_seconds": round(warm["cpu_seconds"], 3),
        "peak_rss_mb": round(max(cold["peak_rss_mb"], warm["peak_rss_mb"]), 1),
        "cold_peak_rss_mb": round(cold["peak_rss_mb"], 1),
        "warm_peak_rss_mb": round(warm["peak_rss_mb"], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, action="append", help="a registry size (repeatable)")
    parser.add_argument("--json", action="store_true", help="one JSON object (the largest size, plus all)")
    args = parser.parse_args()
    sizes = sorted(args.packages or SIZES)
    if any(n < 1 for n in sizes):
        parser.error("--packages must be at least 1")
    with tempfile.TemporaryDirectory(prefix="mpphub-dag-parse-") as tmp:
        baseline = measure(0, Path(tmp))
        rows = [measure(n, Path(tmp)) for n in sizes]
    for row in rows:
        row["parse_ratio_to_baseline"] = round(row["parse_seconds"] / baseline["parse_seconds"], 1)
        row["rss_ratio_to_baseline"] = round(row["peak_rss_mb"] / baseline["peak_rss_mb"], 2)
    largest = rows[-1]
    if args.json:
        print(json.dumps({**largest, "target_seconds": 5.0, "baseline": baseline, "sizes": rows}))
        return 0
    header = f"{'packages':>9} {'index MB':>8} {'DAGs':>5} {'cold s':>7} {'(import':>8} {'+ serialize)':>12} {'cold CPU s':>10} {'warm s':>7} {'warm CPU s':>10} {'peak RSS MB':>11} {'x baseline':>10}"
    print(header)
    for row in [baseline, *rows]:
        ratio = row.get("parse_ratio_to_baseline", 1.0)
        print(
            f"{row['packages']:>9,} {row['index_mb']:>8} {row['dags']:>5} {row['parse_seconds']:>7.2f} "
            f"{row['import_seconds']:>8.2f} {row['serialize_seconds']:>12.2f} {row['cold_cpu_seconds']:>10.2f} "
            f"{row['warm_parse_seconds']:>7.2f} {row['warm_cpu_seconds']:>10.2f} "
            f"{row['peak_rss_mb']:>11.0f} {ratio:>10}"
        )
    verdict = "meets" if largest["parse_seconds"] < 5.0 else "MISSES"
    print(
        f"baseline: the same parse with an empty registry. {largest['packages']:,} packages: {verdict} the 5 s target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
