"""Load drill (reliability drill 3): N applications and M status events across many regions, through the
sandbox, with nothing lost — and the throughput, peak memory and ledger size it took.

Every region gets its own copy of the sample package 35.76/akta-kelahiran (style (a) REST: Idempotency-Key,
inline attachments), published into a throw-away registry; the national layer and the local system run in
their own processes (``serve_in_process``), the hub in this one. Citizens apply straight into the national
layer's store (the simulator's ``to_store`` sink: seeding is not what is measured). Then:

1. outbound: sync cycles until every application is delivered and acknowledged (applications/s);
2. inbound: officers' rounds until M status changes exist, then sync cycles until every one is pushed
   (events/s);
3. checked against the truth: every application created locally exactly once and acknowledged, every
   event received nationally exactly once with contiguous sequences.

The packages' rate limits are lifted (the drill measures the hub, not the limiter). Peak memory is the
hub process's peak RSS; the ledger size is the SQLite files (or the PostgreSQL database).

    .venv/bin/python bench/drill_load.py                                   # full: 100,000 / 500,000 / 552
    .venv/bin/python bench/drill_load.py --applications 2000 --events 10000 --regions 60 [--json]
    .venv/bin/python bench/drill_load.py --ledger-url postgresql+psycopg://postgres@127.0.0.1:5432/DB
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# the benchmark's sandbox systems live on loopback, which the hub refuses by default
# (connectors/url_policy.py): opt in explicitly, for this process and the ones it starts
os.environ["MPPHUB_ALLOW_LOOPBACK"] = "1"

from connectors.ledger.store import Ledger  # noqa: E402
from connectors.national import NationalClient  # noqa: E402
from connectors.secrets import StaticSecrets  # noqa: E402
from connectors.sync.context import SyncContext  # noqa: E402
from connectors.sync.engine import SyncEngine  # noqa: E402
from connectors.sync.packages import PackageSource  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.wiring import connector_factory  # noqa: E402
from registry.publish import publish  # noqa: E402
from registry.regions import region_table  # noqa: E402
from registry.secret_scope import rehome_secrets  # noqa: E402
from sandbox import credentials as cred  # noqa: E402
from sandbox.national.citizens import CitizenSimulator  # noqa: E402
from sandbox.serve import serve_in_process  # noqa: E402

TEMPLATE = REPO / "registry" / "packages" / "35.76" / "akta-kelahiran.json"
CODE = "AKTA_LAHIR"


@dataclass
class LoadResult:
    """What the drill did, how fast, and what held."""

    regions: int
    applications: int
    events: int
    seed_seconds: float = 0.0
    outbound_seconds: float = 0.0
    inbound_seconds: float = 0.0
    applications_per_second: float = 0.0
    events_per_second: float = 0.0
    peak_rss_mib: float = 0.0
    ledger_mib: float = 0.0
    cycles: int = 0
    problems: dict[str, int] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        """Nothing lost, nothing duplicated."""
        return not any(self.problems.values())


def regency_codes(count: int) -> list[str]:
    """``count`` regency/city codes (552 = every province and regency/city, provinces last if needed)."""
    regions = region_table().all()
    cities = [r.code for r in regions if not r.is_province]
    provinces = [r.code for r in regions if r.is_province]
    return (cities + provinces)[:count]


def generate_registry(root: Path, regions: list[str]) -> list[dict[str, Any]]:
    """One akta-kelahiran package per region, published into ``root``; returns the documents."""
    text = TEMPLATE.read_text(encoding="utf-8")
    docs = []
    for index, region in enumerate(regions):
        doc = json.loads(text.replace(CODE, f"{CODE}_{index:03d}"))
        doc["id"], doc["region"] = f"{region}/akta-kelahiran", region
        doc["local_system"]["base_url"] = f"https://simpel-{region.replace('.', '-')}.example.go.id/api/v1"
        doc["local_system"].pop("rate_limit_per_second", None)
        rehome_secrets(doc, region)
        path = root / "packages" / region / "akta-kelahiran.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        outcome = publish(path, root)
        if outcome.outcome != "published":
            raise SystemExit(f"generating {doc['id']}: {[p.as_line() for p in outcome.problems]}")
        docs.append(doc)
    return docs


def _ledger_mib(url: str, ledger: Ledger) -> float:
    if url.startswith("sqlite:///"):
        base = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in base.parent.glob(base.name + "*")) / 2**20
    with ledger.engine.connect() as conn:
        from sqlalchemy import text

        return float(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()) / 2**20


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def run(applications: int, events: int, regions: int, ledger_url: str | None = None, quiet: bool = False) -> LoadResult:
    """Run the load drill; returns its figures and problems."""
    result = LoadResult(regions, applications, events)
    with tempfile.TemporaryDirectory(prefix="mpphub-load-") as tmp:
        root = Path(tmp)
        codes = regency_codes(regions)
        docs = generate_registry(root / "registry", codes)
        services = [d["id"] for d in docs]
        national = serve_in_process(
            "sandbox.national.app:create_app",
            {
                "db_path": str(root / "national.db"),
                "token": cred.NATIONAL_TOKEN,
                "registry_dir": str(root / "registry"),
            },
        )
        local = serve_in_process(
            "sandbox.local.rest_indonesian:create_app", {"token": cred.LOCAL_TOKEN, "packages": docs}
        )
        try:
            url = ledger_url or f"sqlite:///{root / 'ledger.db'}"
            settings = Settings(
                ledger_url=url, base_url_overrides={d["local_system"]["base_url"]: local.url for d in docs}
            )
            client = NationalClient(national.url, cred.NATIONAL_TOKEN)
            ledger = Ledger.open(url)
            secrets = StaticSecrets(cred.secret_values(docs))
            ctx = SyncContext(
                ledger, PackageSource(root / "registry"), client, connector_factory(settings, secrets, client)
            )
            engine = SyncEngine(ctx, "load")
            simulator = CitizenSimulator.to_store(root / "national.db", registry_dir=root / "registry", seed=1)
            made, wave, total = 0, applications, 0
            # citizens keep applying while officers work: waves until the officers made M status changes
            # (a ladder averages ~3.8 changes per application, so M/N = 5 needs a second wave)
            for _ in range(10):
                started = time.perf_counter()
                simulator.submit(wave)
                total += wave
                result.seed_seconds += time.perf_counter() - started
                started = time.perf_counter()
                for _ in range(50):
                    result.cycles += 1
                    engine.run_once(flows=["outbound"])
                    if ledger.counts().get("applications.acknowledged", 0) >= total:
                        break
                result.outbound_seconds += time.perf_counter() - started
                _say(quiet, f"{total} applications delivered over {regions} regions ({result.outbound_seconds:.0f}s)")
                while made < events:
                    step = requests.post(f"{local.url}/_sandbox/officers/step", json={"n": 1}, timeout=600)
                    step.raise_for_status()
                    produced = int(step.json()["count"])
                    if not produced:
                        break  # every application is final
                    made += produced
                _say(quiet, f"officers made {made} status changes")
                if made >= events:
                    break
                wave = max(1, int((events - made) / 3.5))
            result.applications = total
            result.applications_per_second = total / result.outbound_seconds
            started = time.perf_counter()
            for _ in range(50):
                result.cycles += 1
                engine.run_once(flows=["inbound"])
                counts = ledger.counts()
                if counts.get("events.pending", 0) == 0 and counts.get("events.pushed", 0) >= made:
                    break
            result.inbound_seconds = time.perf_counter() - started
            result.events = made
            result.events_per_second = made / result.inbound_seconds
            _say(
                quiet,
                f"inbound: {made} events pushed in {result.inbound_seconds:.0f}s ({result.events_per_second:.0f}/s)",
            )
            result.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            result.ledger_mib = _ledger_mib(url, ledger)
            result.problems = _problems(national.url, local.url, set(services), made)
            ctx.close()  # the connectors' sessions, then the ledger
        finally:
            local.stop()
            national.stop()
    return result


def _problems(national_url: str, local_url: str, services: set[str], made: int) -> dict[str, int]:
    truth = requests.get(f"{national_url}/_sandbox/truth", timeout=600).json()
    local = requests.get(f"{local_url}/_sandbox/truth", timeout=600).json()
    created: Counter[str] = Counter(local["submissions"]["created_per_national_id"])
    online = [a for a in truth["applications"] if a["service_id"] in services and a["origin"] != "walk_in"]
    sequences: dict[str, list[int]] = {}
    for event in truth["events"]:
        sequences.setdefault(event["application_id"], []).append(event["sequence"])
    return {
        "not_created_once": sum(1 for a in online if created[a["id"]] != 1),
        "unacknowledged": sum(1 for a in online if a["acknowledgement"] is None),
        "events_not_received_once": sum(1 for e in truth["events"] if e["received_count"] != 1),
        "events_missing": max(made - len(truth["events"]), 0),
        "sequence_gaps": sum(1 for s in sequences.values() if s != list(range(1, len(s) + 1))),
    }


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--regions", type=int, default=552)
    parser.add_argument("--ledger-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    result = run(args.applications, args.events, args.regions, args.ledger_url, quiet=args.json)
    if args.json:
        print(json.dumps({**asdict(result), "held": result.held}))
    else:
        print(
            f"regions {result.regions}  applications {result.applications}  events {result.events}\n"
            f"outbound {result.applications_per_second:,.0f} applications/s ({result.outbound_seconds:.0f}s)  "
            f"inbound {result.events_per_second:,.0f} events/s ({result.inbound_seconds:.0f}s)\n"
            f"peak RSS {result.peak_rss_mib:,.0f} MiB  ledger {result.ledger_mib:,.1f} MiB  cycles {result.cycles}\n"
            f"problems {result.problems}  -> {'held' if result.held else 'FAILED'}"
        )
    return 0 if result.held else 1


if __name__ == "__main__":
    sys.exit(main())
