"""The region pools the sync DAGs run in, for ``airflow pools import``.

    PYTHONPATH=dags python -m mpphub_airflow.pools --slots 2 --out pools.json   # write the file
    PYTHONPATH=dags python -m mpphub_airflow.pools --slots 2 --apply            # and import it

A task whose pool does not exist is never scheduled, so this runs in the set-up step (``make airflow``
does it; in the production shape the ``airflow-init`` service does) and again after a new region
publishes its first service. Importing is idempotent: existing pools get the given slots.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from mpphub_airflow.plan import load_plan, pool_name, registry_dir


def pools(regions: list[str], slots: int) -> dict[str, dict[str, Any]]:
    """``airflow pools import`` content: one pool per region."""
    return {
        pool_name(region): {
            "slots": slots,
            "description": f"mpp-hub: concurrent sync tasks against region {region}'s local system",
            "include_deferred": False,
        }
        for region in regions
    }


def main(argv: list[str] | None = None) -> int:
    """Write (and with ``--apply`` import) the pools of every region with published services."""
    parser = argparse.ArgumentParser(prog="python -m mpphub_airflow.pools", description=__doc__.split("\n")[0])
    parser.add_argument("--registry", type=Path, default=None, help="registry folder (default: MPPHUB_REGISTRY)")
    parser.add_argument("--slots", type=int, default=2, help="concurrent tasks per region (default 2)")
    parser.add_argument("--out", type=Path, default=None, help="write the pools file here (default: a temp file)")
    parser.add_argument("--apply", action="store_true", help="run `airflow pools import` on the file")
    args = parser.parse_args(argv)
    if args.slots < 1:
        parser.error("--slots must be at least 1")
    regions = list(load_plan(args.registry or registry_dir()))
    content = json.dumps(pools(regions, args.slots), indent=1, sort_keys=True)
    out = args.out or Path(tempfile.mkdtemp(prefix="mpphub-pools-")) / "pools.json"
    out.write_text(content + "\n", encoding="utf-8")
    print(f"{len(regions)} region pools ({args.slots} slots each) in {out}")
    if args.apply:
        airflow = Path(sys.executable).parent / "airflow"
        done = subprocess.run([str(airflow), "pools", "import", str(out)], check=False)  # noqa: S603
        return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
