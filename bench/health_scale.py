"""Benchmark: health of the whole nation (552 regions, 100,000 services) from one ledger.

Builds a synthetic registry index (every regency/city and province of the region table, services spread
over them) and a ledger with one finished run per flow per service, applications (some waiting, some
open for weeks: SLA breaches), pending status events and dead letters. Then measures, in the same run:

  * baseline: one plain ``SELECT service_id, count(*) FROM sync_run GROUP BY service_id`` — one
    aggregate over one row per run and service;
  * health: ``build_report`` (every aggregate, states, SLA, region rollup) and the overview series;
  * per-service queries: what a loop of one query per service would cost, measured on a sample and
    scaled up (the design this module avoids).

Prints seconds and ratios to the baseline. ``--services`` / ``--applications`` scale it; ``--url`` runs
on PostgreSQL (an empty database) instead of a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select  # noqa: E402

from connectors.ledger.models import Application, DeadLetter, StatusEvent, SyncHealth, SyncRun  # noqa: E402
from connectors.ledger.store import Ledger  # noqa: E402
from hub.health.queries import gather, hourly_series  # noqa: E402
from hub.health.report import build_report  # noqa: E402
from registry.regions import region_table  # noqa: E402

FLOWS = ("catalogue", "outbound", "walk_in", "inbound")


def synthetic_index(services: int) -> dict[str, Any]:
    regions = [r.code for r in region_table().all()]
    packages = {}
    for i in range(services):
        region = regions[i % len(regions)]
        packages[f"{region}/layanan-{i}"] = {
            "region": region,
            "name": {"id": f"Layanan {i}", "en": f"Service {i}"},
            "category": "perizinan-usaha",
            "latest": "1.0.0",
            "sla_working_days": 1 + i % 14,
            "versions": {"1.0.0": {"sha256": "0" * 64, "path": "x", "published_at": "2026-01-01T00:00:00Z"}},
        }
    return {"index_format": "1", "packages": packages}


def seed(ledger: Ledger, index: dict[str, Any], applications: int, rng: random.Random) -> None:
    now = ledger.clock.now()
    ids = list(index["packages"])
    batch = 20_000
    runs = []
    for n, service_id in enumerate(ids):
        region = index["packages"][service_id]["region"]
        for flow in FLOWS:
            failed = n % 97 == 0 and flow == "inbound"
            runs.append(
                {
                    "region": region,
                    "service_id": service_id,
                    "flow": flow,
                    "worker": "bench",
                    "started_at": now - timedelta(minutes=n % 10),
                    "finished_at": now - timedelta(minutes=n % 10),
                    "outcome": "retry" if failed else "ok",
                    "error": "HTTP 503 from the local system" if failed else None,
                }
            )
    apps, events, letters = [], [], []
    for i in range(applications):
        service_id = ids[rng.randrange(len(ids))]
        region = index["packages"][service_id]["region"]
        submitted = now - timedelta(hours=rng.randrange(24 * 40))
        delivery = rng.choice(("acknowledged",) * 8 + ("pending", "sending"))
        apps.append(
            {
                "national_id": f"APP-{i}",
                "service_id": service_id,
                "region": region,
                "package_version": "1.0.0",
                "origin": "national",
                "submitted_at": submitted,
                "national_status": rng.choice(("submitted", "processing", "approved", "approved", "rejected")),
                "delivery": delivery,
                "attempts": 1,
                "next_attempt_at": now,
                "created_at": submitted,
                "delivered_at": submitted + timedelta(minutes=5) if delivery == "acknowledged" else None,
                "last_sequence": 0,
            }
        )
        if i % 2 == 0:
            events.append(
                {
                    "event_id": f"EV-{i}",
                    "national_id": f"APP-{i}",
                    "service_id": service_id,
                    "region": region,
                    "sequence": 1,
                    "local_status": "X",
                    "national_status": "received",
                    "changed_at": now,
                    "state": rng.choice(("pushed",) * 9 + ("pending",)),
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now - timedelta(minutes=rng.randrange(600)),
                    "pushed_at": now - timedelta(minutes=rng.randrange(600)),
                }
            )
        if i % 100 == 0:
            letters.append(
                {
                    "kind": "record",
                    "ref": f"R-{i}",
                    "service_id": service_id,
                    "region": region,
                    "flow": "inbound",
                    "reason": "unknown status code",
                    "created_at": now,
                    "replays": 0,
                }
            )
    health = [
        {
            "service_id": r["service_id"],
            "flow": r["flow"],
            "region": r["region"],
            "runs": 1,
            "last_run_id": n + 1,
            "last_outcome": r["outcome"],
            "last_error": r["error"],
            "last_finished_at": r["finished_at"],
            "last_success_at": r["finished_at"] if r["outcome"] == "ok" else None,
        }
        for n, r in enumerate(runs)
    ]
    with ledger.engine.begin() as conn:
        tables = (
            (SyncRun, runs),
            (SyncHealth, health),
            (Application, apps),
            (StatusEvent, events),
            (DeadLetter, letters),
        )
        for model, rows in tables:
            for start in range(0, len(rows), batch):
                conn.execute(insert(model), rows[start : start + batch])


def timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=300, help="services timed in the per-service loop")
    parser.add_argument("--url", help="an empty PostgreSQL database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger.open(args.url or f"sqlite:///{Path(folder) / 'ledger.db'}")
        index = synthetic_index(args.services)
        seeding, _ = timed(lambda: seed(ledger, index, args.applications, rng))
        print(
            f"seeded {args.services} services in {len(region_table())} regions, {args.applications} applications in {seeding:.1f}s"
        )
        engine, now = ledger.engine, ledger.clock.now()

        def baseline() -> int:
            with engine.connect() as conn:
                return len(conn.execute(select(SyncRun.service_id, func.count()).group_by(SyncRun.service_id)).all())

        base, _ = timed(baseline)
        health, report = timed(lambda: build_report(engine, index, now))
        series, _ = timed(lambda: hourly_series(engine, now))
        sample = list(index["packages"])[: args.sample]
        loop, _ = timed(lambda: [gather(engine, now, service_id=s) for s in sample])
        per_service = loop / len(sample) * args.services
        totals = report.totals()
        print(
            f"regions {totals['regions']}: {totals['live']} live, {totals['failing']} failing, {totals['stalled']} stalled; "
            f"backlog {totals['backlog']}, SLA breaches {totals['sla_breaches']}"
        )
        print(f"{'measure':<44}{'seconds':>10}{'x baseline':>12}")
        for name, seconds in (
            ("baseline: GROUP BY service_id over sync_run", base),
            ("health report (all aggregates + rollup)", health),
            ("overview series (24 h hourly)", series),
            (f"per-service queries (scaled from {len(sample)})", per_service),
        ):
            print(f"{name:<44}{seconds:>10.2f}{seconds / base:>12.1f}")
        print(f"health report is {per_service / health:.0f}x faster than one query set per service")
        ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
