"""``python -m tests.drills.demo_probe OUT [--citizens N] [--cycles C]``: the embedded demo with every logger
at DEBUG (into OUT/debug.log), leaving behind what the data-protection drill scans: OUT/known.json (the
NIKs and phone numbers citizens submitted, read from the local systems' truth, and the sandbox secrets)
and OUT/ledger.json (every row of every ledger table), both taken just before the demo cleans up."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import MetaData

from hub import demo
from sandbox import credentials
from tests.conftest import REPO
from tests.drills.pii_scan import Known, harvest


def _rows(engine: Any) -> dict[str, list[dict[str, Any]]]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        return {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in metadata.sorted_tables}


def main() -> None:
    """Run the probe."""
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--citizens", type=int, default=24)
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.DEBUG,
        filename=args.out / "debug.log",
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # an operator debugging the ledger turns SQL logging on: statements, and their parameters unless hidden
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    original = demo._summary

    def summary_and_evidence(
        national_url: str, local_urls: list[str], sql_systems: list[Any], ledger: Any, services: set[str]
    ) -> demo.Summary:
        # every sandbox credential but the user name ("sandbox" is also an ordinary word of the output)
        secret_names = ("NATIONAL_TOKEN", "LOCAL_TOKEN", "LOCAL_PASSWORD", "LOCAL_API_KEY")
        known = Known(secrets={getattr(credentials, name) for name in secret_names})
        for url in local_urls:
            known.update(harvest(requests.get(f"{url}/_sandbox/truth", timeout=30).json()))
        for system in sql_systems:
            known.update(harvest(json.loads(json.dumps(_rows(system.engine), default=str))))
        (args.out / "known.json").write_text(
            json.dumps({k: sorted(v) for k, v in vars(known).items()}), encoding="utf-8"
        )
        (args.out / "ledger.json").write_text(json.dumps(_rows(ledger.engine), default=str), encoding="utf-8")
        return original(national_url, local_urls, sql_systems, ledger, services)

    demo._summary = summary_and_evidence
    summary = demo.run_demo(REPO / "registry", citizens=args.citizens, cycles=args.cycles)
    bad = sum(c.get("duplicated", 0) + c.get("lost", 0) for c in summary.values())
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
