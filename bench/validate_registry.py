"""Benchmark: validate a generated national registry through the same code path as `mpphub validate`.

Generates N packages (default 100,000) spread over all 552 regions in a temp dir, from the sample
registry's packages as templates, then times, in this one run:

  * `mpphub validate DIR --format json` as a subprocess (the CLI path, all cores);
  * baseline A, the parse floor: reading and json-parsing every file in one process (any validator pays it);
  * baseline B, the field's reference: python-jsonschema validating a sample against the same schema,
    one process, no rules;
  * cold start: the real console command `mpphub validate ONE.json` (ONE = the first generated package)
    vs a bare `python -c pass` of the same interpreter, runs interleaved so both see the same machine
    load, median of --runs each. Bytecode caches are allowed, as in any installed package (a
    PYTHONDONTWRITEBYTECODE=1 environment would otherwise recompile every module of the hub at each
    start): the first runs write them and are not counted. The figure without them is printed too.

Prints figures and ratios; --json prints one object with packages, seconds, packages_per_s and the rest.
Target (DESIGN.md): 100,000 packages in under 60 s on 2 cores; one package under 50 ms with start-up.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from registry.regions import region_table  # noqa: E402
from registry.schemas import package_schema  # noqa: E402
from registry.secret_scope import rehome_secrets  # noqa: E402

MPPHUB = Path(sys.executable).parent / "mpphub"


def templates() -> list[dict[str, Any]]:
    """Every package of the sample registry."""
    files = sorted((REPO / "registry" / "packages").rglob("*.json"))
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def generate(root: Path, count: int) -> list[Path]:
    """Write ``count`` valid packages: region r gets slugs <template-slug>-<n>, round-robin over regions."""
    regions = [r.code for r in region_table().all()]
    bases = templates()
    paths = []
    for i in range(count):
        region = regions[i % len(regions)]
        doc = copy.deepcopy(bases[i % len(bases)])
        slug = f"{doc['id'].split('/', 1)[1]}-{i // len(regions)}"
        doc["id"], doc["region"] = f"{region}/{slug}", region
        rehome_secrets(doc, region)
        path = root / region / f"{slug}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        paths.append(path)
    return paths


def time_cli(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([str(MPPHUB), *args], capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def parse_floor(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        json.loads(path.read_bytes())
    return time.perf_counter() - start


def python_jsonschema_rate(paths: list[Path]) -> float:
    import jsonschema

    validator = jsonschema.Draft202012Validator(package_schema())
    start = time.perf_counter()
    for path in paths:
        validator.is_valid(json.loads(path.read_bytes()))
    return len(paths) / (time.perf_counter() - start)


def _run_seconds(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, check=False, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stdout[:500]!r} {done.stderr[:500]!r}")
    return seconds


def cold_start_medians(one: str, runs: int) -> dict[str, float]:
    """Median seconds of the console command, of a bare interpreter start (interleaved with it), and of
    the console command without bytecode caches."""
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    uncached = {**cached, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [str(MPPHUB), "validate", one]
    bare = [sys.executable, "-c", "pass"]
    for _ in range(2):  # warm-up: writes the bytecode caches, loads the files into the page cache
        _run_seconds(command, cached)
        _run_seconds(bare, cached)
    times: dict[str, list[float]] = {"command": [], "bare": [], "no_bytecode_cache": []}
    for _ in range(runs):
        times["command"].append(_run_seconds(command, cached))
        times["bare"].append(_run_seconds(bare, cached))
        times["no_bytecode_cache"].append(_run_seconds(command, uncached))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", type=int, default=100_000, help="registry size (default 100,000)")
    parser.add_argument("--sample", type=int, default=2_000, help="packages for the python-jsonschema baseline")
    parser.add_argument("--runs", type=int, default=21, help="repetitions of the cold-start measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.packages < 1:
        parser.error("--packages must be at least 1")

    root = Path(tempfile.mkdtemp(prefix="mpphub-bench-"))
    try:
        log = sys.stderr
        print(f"generating {args.packages:,} packages in {root} ...", file=log)
        paths = generate(root, args.packages)
        print("validating with mpphub ...", file=log)
        seconds, done = time_cli(["validate", str(root), "--format", "json"])
        if done.returncode != 0:
            print(done.stdout[:2000], done.stderr[:2000], file=log)
            raise SystemExit("the generated registry did not validate cleanly")
        floor = parse_floor(paths)
        sample = paths[: args.sample]
        reference_rate = python_jsonschema_rate(sample)
        one = str(paths[0])
        medians = cold_start_medians(one, args.runs)
        cold, bare = medians["command"], medians["bare"]
    finally:
        shutil.rmtree(root, ignore_errors=True)

    rate = args.packages / seconds
    result = {
        "packages": args.packages,
        "seconds": round(seconds, 2),
        "packages_per_s": round(rate),
        "cores": os.cpu_count(),
        "parse_floor_seconds": round(floor, 2),
        "ratio_vs_parse_floor": round(seconds / floor, 2),
        "python_jsonschema_packages_per_s": round(reference_rate),
        "speedup_vs_python_jsonschema": round(rate / reference_rate, 1),
        "cold_start_one_package_ms": round(cold * 1000, 1),
        "bare_python_start_ms": round(bare * 1000, 1),
        "cold_start_ratio_vs_bare_python": round(cold / bare, 2),
        "cold_start_runs": args.runs,
        "cold_start_without_bytecode_cache_ms": round(medians["no_bytecode_cache"] * 1000, 1),
        "target_met_100k_under_60s": seconds < 60 if args.packages == 100_000 else None,
        "target_met_one_under_50ms": cold < 0.050,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"validated {args.packages:,} packages in {seconds:.1f} s = {rate:,.0f} packages/s on {os.cpu_count()} cores"
        )
        print(
            f"  parse floor (read + json.loads, 1 process): {floor:.1f} s -> mpphub takes {seconds / floor:.2f}x the floor"
        )
        print(
            f"  python-jsonschema, schema only, 1 process: {reference_rate:,.0f} packages/s -> mpphub is {rate / reference_rate:.1f}x"
        )
        print(
            f"one package from a cold start (`mpphub validate ONE.json`, median of {args.runs}): {cold * 1000:.0f} ms "
            f"(bare python start {bare * 1000:.0f} ms, ratio {cold / bare:.1f}x; "
            f"without bytecode caches {medians['no_bytecode_cache'] * 1000:.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
