"""Benchmark: the hub's sync throughput and memory against plain baselines, all in one run on the same
sandbox servers (docs/design.md "Performance targets"; figures and command: docs/performance.md).

Servers: the sandbox national layer and the style (a) REST local system (``sandbox/local/rest_indonesian``),
each in its own process (``sandbox.serve.serve_in_process``: they never share the hub's GIL). Service
``35.76/akta-kelahiran`` (bearer auth, page-number pagination, Idempotency-Key, inline base64 files).
Citizens apply through the sandbox's citizen simulator; officers work through ``/_sandbox/officers/step``.

(b) outbound: APPLICATIONS applications delivered per second by the hub (``SyncEngine.run_service(...,
    flows=["outbound"])``: pull from the national feed, deliver with their files, acknowledge nationally)
    versus a plain ``requests`` loop POSTing the same applications (same body shape, files inline, same
    auth and Idempotency-Key header; bodies built before the clock starts, fresh national ids so the
    local system creates each one) to the same endpoint. Target: at least 0.7x.
(a) inbound: the officers' status changes (about EVENTS) pulled from the local feed, mapped, ledgered and
    pushed to the national layer per second by the hub (``connectors.sync.inbound.pull`` + ``push``),
    versus dlt's ``rest_api`` source pulling the same feed end to end (same server, page size, auth)
    into duckdb in a temp dir. Both must process the same number of events. Target: at least 2x.
(c) memory: peak RSS of the hub process (VmHWM) syncing SMALL vs LARGE applications (outbound),
    each size in a fresh subprocess against fresh servers (small files, see --rss-attachment-kb).
    Target: under 1.2x.

The package's ``rate_limit_per_second`` (10 per second, a politeness limit towards the real Dispendukcapil
server) is lifted for the run: this measures the hub, not the limiter. Counts are checked against the
sandboxes' truth (every application created once and acknowledged; every event read by both sides).

--json prints one object: ``inbound_vs_dlt``, ``outbound_vs_plain``, ``rss_ratio_100k_10k`` (large over
small peak RSS at the sizes in ``rss_sizes``), and the raw rates, counts and sizes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# the benchmark's sandbox systems live on loopback, which the hub refuses by default
# (connectors/url_policy.py): opt in explicitly, for this process and the ones it starts
os.environ["MPPHUB_ALLOW_LOOPBACK"] = "1"

from bench.process_memory import proc_status_kb  # noqa: E402
from connectors.ledger.store import Ledger  # noqa: E402
from connectors.mapping import build_object  # noqa: E402
from connectors.national import NationalClient  # noqa: E402
from connectors.secrets import StaticSecrets  # noqa: E402
from connectors.sync import inbound  # noqa: E402
from connectors.sync.context import SyncContext  # noqa: E402
from connectors.sync.engine import SyncEngine  # noqa: E402
from connectors.sync.packages import PackageSource  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.wiring import connector_factory  # noqa: E402
from sandbox.national.citizens import REGISTRY, CitizenSimulator  # noqa: E402
from sandbox.serve import RunningServer, serve_in_process  # noqa: E402

SERVICE = "35.76/akta-kelahiran"
REGION = "35.76"
NATIONAL_TOKEN = "sandbox-national-token"  # noqa: S105 - the sandbox's well-known loopback token
LOCAL_TOKEN = "sandbox-local-token"  # noqa: S105 - the sandbox's documented loopback credential
TIMEOUT = 30
SEED_CHUNK = 200  # submissions hold their files: seed in chunks so the seeding itself stays small


class UnthrottledPackages(PackageSource):
    """The registry's packages without their ``rate_limit_per_second`` (the benchmark measures the hub)."""

    def version(self, service_id: str, version: str) -> dict[str, Any]:
        """One published version, rate limit removed."""
        document = super().version(service_id, version)
        document["local_system"].pop("rate_limit_per_second", None)
        return document


@dataclass
class Servers:
    """The two sandbox servers of one measurement, and the national database file."""

    national: RunningServer
    local: RunningServer
    national_db: Path

    def stop(self) -> None:
        """Stop both."""
        self.national.stop()
        self.local.stop()


@dataclass
class Figures:
    """What the run measured."""

    values: dict[str, Any] = field(default_factory=dict)


def start_servers(workdir: Path) -> Servers:
    """A fresh national layer (catalogue seeded) and a fresh style (a) local system, each in a process."""
    db = workdir / "national.sqlite"
    national = serve_in_process(
        "sandbox.national.app:create_app",
        {"db_path": str(db), "token": NATIONAL_TOKEN, "registry_dir": str(REGISTRY)},
    )
    local = serve_in_process("sandbox.local.rest_indonesian:create_app", {"token": LOCAL_TOKEN})
    return Servers(national, local, db)


def seed_applications(db: Path, n: int, seed: int, attachment_kb: int) -> None:
    """``n`` citizens apply for the service (the citizen simulator, straight into the national database)."""
    simulator = CitizenSimulator.to_store(db, seed=seed, services=[SERVICE], max_attachment_kb=attachment_kb)
    left = n
    while left:
        simulator.submit(min(SEED_CHUNK, left))
        left -= min(SEED_CHUNK, left)


def hub_context(servers: Servers, ledger_path: Path) -> SyncContext:
    """The hub's parts over the two servers, as ``hub.wiring.build_context`` makes them."""
    packages = UnthrottledPackages(REGISTRY)
    local_system = packages.latest(SERVICE)["local_system"]
    settings = Settings(
        ledger_url=f"sqlite:///{ledger_path}",
        registry=REGISTRY,
        base_url_overrides={local_system["base_url"]: servers.local.url},
    )
    national = NationalClient(servers.national.url, NATIONAL_TOKEN)
    secrets = StaticSecrets({local_system["auth"]["secret_ref"]: LOCAL_TOKEN})
    ledger = Ledger.open(settings.ledger_url)
    return SyncContext(ledger, packages, national, connector_factory(settings, secrets, national))


def sync_outbound(ctx: SyncContext, expected: int) -> Counter[str]:
    """Run the outbound flow until ``expected`` applications are acknowledged; its counts."""
    engine = SyncEngine(ctx, "bench")
    counts: Counter[str] = Counter()
    for _ in range(20):  # one cycle normally does everything; a few more only if something was retried
        result = engine.run_service(SERVICE, flows=["outbound"])
        if result.errors or result.fatal:
            raise RuntimeError(f"outbound sync failed: {result.errors or result.fatal}")
        counts.update(result.counts)
        if counts["deliver.acknowledged"] >= expected:
            return counts
    raise RuntimeError(f"outbound sync acknowledged {counts['deliver.acknowledged']} of {expected}")


def national_records(servers: Servers, n: int) -> list[dict[str, Any]]:
    """The service's first ``n`` records of the national feed, as the hub reads them."""
    client = NationalClient(servers.national.url, NATIONAL_TOKEN)
    records: list[dict[str, Any]] = []
    cursor = None
    while len(records) < n:
        page = client.new_applications(REGION, SERVICE, cursor, 100)
        records += page.items
        cursor = page.next_cursor
        if not page.has_more:
            break
    return records[:n]


def plain_calls(servers: Servers, records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(url, body, headers) of the plain loop: the hub's body shape with the files inline, fresh ids."""
    package = PackageSource(REGISTRY).latest(SERVICE)
    op = package["local_system"]["operations"]["submit"]
    field_name = op["attachments"].get("field", "lampiran")
    fetch = requests.Session()
    fetch.headers["Authorization"] = f"Bearer {NATIONAL_TOKEN}"
    calls = []
    for record in records:
        envelope = {**record["application"], "id": f"MPP-PLAIN-{uuid.uuid4()}"}
        body = build_object(op["body"], {"application": envelope, "form": record["form"]})
        files = []
        for meta in envelope["attachments"]:
            content = fetch.get(meta["url"], timeout=TIMEOUT).content
            files.append(
                {
                    "nama_berkas": meta["filename"],
                    "jenis": meta["requirement_id"],
                    "sha256": meta["sha256"],
                    "isi_base64": base64.b64encode(content).decode(),
                }
            )
        body[field_name] = files
        headers = {"Authorization": f"Bearer {LOCAL_TOKEN}", "Idempotency-Key": envelope["id"]}
        calls.append((servers.local.url + op["path"], body, headers))
    return calls


def plain_loop(calls: list[tuple[str, dict[str, Any], dict[str, str]]]) -> float:
    """POST every body in order with one session; seconds taken. Every answer must be 201."""
    with requests.Session() as session:
        start = time.perf_counter()
        for url, body, headers in calls:
            response = session.post(url, json=body, headers=headers, timeout=TIMEOUT)
            assert response.status_code == 201, (response.status_code, response.text[:300])
        return time.perf_counter() - start


def local_truth(servers: Servers) -> dict[str, Any]:
    """What the local system holds."""
    response = requests.get(f"{servers.local.url}/_sandbox/truth", timeout=120)
    response.raise_for_status()
    truth: dict[str, Any] = response.json()
    return truth


def officers_work(servers: Servers, events: int) -> int:
    """Officers' rounds on the service until the local feed holds at least ``events`` status changes (or
    nothing moves any more); the number of status changes of the service."""
    total = sum(1 for c in local_truth(servers)["status_changes"] if c["package_id"] == SERVICE)
    while total < events:
        response = requests.post(
            f"{servers.local.url}/_sandbox/officers/step", json={"n": 1, "package_id": SERVICE}, timeout=120
        )
        response.raise_for_status()
        made = int(response.json()["count"])
        if made == 0:
            break
        total += made
    return total


def dlt_pull(servers: Servers, workdir: Path, page_size: int) -> tuple[int, float]:
    """dlt's rest_api source pulling the whole status feed into duckdb: (rows loaded, seconds)."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["RUNTIME__LOG_LEVEL"] = "WARNING"
    import dlt
    from dlt.sources.rest_api import rest_api_source

    package = PackageSource(REGISTRY).latest(SERVICE)
    op = package["local_system"]["operations"]["status_changes"]
    pagination = op["pagination"]
    source = rest_api_source(
        {
            "client": {"base_url": servers.local.url + "/", "auth": {"type": "bearer", "token": LOCAL_TOKEN}},
            "resources": [
                {
                    "name": "status_changes",
                    "write_disposition": "append",
                    "endpoint": {
                        "path": op["path"].lstrip("/"),
                        "params": {**op.get("query", {}), pagination["size_param"]: page_size},
                        "data_selector": op["records_path"],
                        "paginator": {
                            "type": "page_number",
                            "page_param": pagination["page_param"],
                            "base_page": pagination.get("first_page", 1),
                            "total_path": None,
                        },
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{uuid.uuid4().hex[:8]}",
        destination=dlt.destinations.duckdb(str(workdir / "dlt.duckdb")),
        dataset_name="local_feed",
        pipelines_dir=str(workdir / "dlt"),
    )
    start = time.perf_counter()
    pipeline.run(source)
    seconds = time.perf_counter() - start
    with pipeline.sql_client() as client:
        answer = client.execute_sql("SELECT count(*) FROM status_changes")
    assert answer is not None
    return int(answer[0][0]), seconds


def hub_inbound(ctx: SyncContext) -> tuple[Counter[str], float]:
    """The hub's inbound cycle until it has read the end of the feed: (counts, seconds)."""
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    while True:
        pulled = inbound.pull(ctx, SERVICE, REGION)
        counts.update({f"pull.{k}": v for k, v in pulled.items()})
        counts.update({f"push.{k}": v for k, v in inbound.push(ctx, SERVICE).items()})
        if pulled["read"] < ctx.max_records_per_run:  # the pull reached the end of the feed
            return counts, time.perf_counter() - start


def national_event_count(servers: Servers) -> tuple[int, int]:
    """(events accepted, events rejected) by the national layer."""
    response = requests.get(f"{servers.national.url}/_sandbox/truth", params={"region": REGION}, timeout=300)
    response.raise_for_status()
    truth = response.json()
    return len(truth["events"]), len(truth["rejections"])


def measure_throughput(args: argparse.Namespace, figures: Figures) -> None:
    """(b) outbound and (a) inbound, on one pair of servers."""
    with tempfile.TemporaryDirectory(prefix="sync-throughput-") as tmp:
        workdir = Path(tmp)
        servers = start_servers(workdir)
        try:
            seed_applications(servers.national_db, args.applications, 1, args.attachment_kb)
            ctx = hub_context(servers, workdir / "ledger.sqlite")

            # (b) outbound: the hub first, then the plain loop on fresh ids (its applications would
            # otherwise show up in the status feed the inbound part reads)
            start = time.perf_counter()
            counts = sync_outbound(ctx, args.applications)
            hub_out_s = time.perf_counter() - start
            truth = local_truth(servers)
            created = truth["submissions"]["created_per_national_id"]
            assert len(created) == args.applications and set(created.values()) == {1}, "each created once"
            assert counts["deliver.acknowledged"] == args.applications

            # (a) inbound: officers work, then dlt and the hub read the same feed
            changes = officers_work(servers, args.events)
            # one pull reads the whole burst (the default bound is 5000 records a run; docs/sync.md)
            ctx.max_records_per_run = max(ctx.max_records_per_run, changes + 1)
            page_size = ctx.packages.latest(SERVICE)["local_system"]["operations"]["status_changes"]["pagination"][
                "page_size"
            ]
            dlt_rows, dlt_s = dlt_pull(servers, workdir, page_size)
            in_counts, hub_in_s = hub_inbound(ctx)
            assert dlt_rows == changes, f"dlt loaded {dlt_rows} of {changes} status changes"
            assert in_counts["pull.read"] == changes, f"the hub read {in_counts['pull.read']} of {changes}"
            accepted, rejected = national_event_count(servers)
            assert rejected == 0 and accepted == in_counts["push.pushed"] == in_counts["pull.stored"]

            records = national_records(servers, args.applications)
            calls = plain_calls(servers, records)
            plain_s = plain_loop(calls)
            ctx.close()
        finally:
            servers.stop()
    hub_out = args.applications / hub_out_s
    plain = len(calls) / plain_s
    hub_in, dlt_rate = changes / hub_in_s, dlt_rows / dlt_s
    figures.values.update(
        {
            "inbound_vs_dlt": round(hub_in / dlt_rate, 2),
            "outbound_vs_plain": round(hub_out / plain, 2),
            "inbound_hub_events_per_s": round(hub_in, 1),
            "inbound_dlt_events_per_s": round(dlt_rate, 1),
            "inbound_events": changes,
            "inbound_events_hub_read": in_counts["pull.read"],
            "inbound_events_dlt_loaded": dlt_rows,
            "inbound_events_pushed": in_counts["push.pushed"],
            "outbound_hub_applications_per_s": round(hub_out, 1),
            "outbound_plain_posts_per_s": round(plain, 1),
            "outbound_applications": args.applications,
            "outbound_hub_acknowledged": counts["deliver.acknowledged"],
            "outbound_plain_posted": len(calls),
            "attachment_kb": args.attachment_kb,
        }
    )


def rss_child(args: argparse.Namespace) -> int:
    """In a fresh process: sync ``--rss-child`` applications (outbound) and print the peak RSS."""
    servers = Servers(
        RunningServer(args.national_url, 0, lambda: None), RunningServer(args.local_url, 0, lambda: None), Path()
    )
    ctx = hub_context(servers, Path(args.ledger))
    before_kb = proc_status_kb("VmRSS")
    start = time.perf_counter()
    counts = sync_outbound(ctx, args.rss_child)
    seconds = time.perf_counter() - start
    ctx.close()
    # VmHWM, not ru_maxrss: Linux carries the forking parent's high-water mark into ru_maxrss across exec,
    # so a child of a large parent (this script, with dlt and duckdb loaded) would report the parent's size
    peak_kb = proc_status_kb("VmHWM")
    result = {
        "peak_rss_kb": peak_kb,
        "rss_before_sync_kb": before_kb,
        "acknowledged": counts["deliver.acknowledged"],
        "seconds": seconds,
    }
    print(json.dumps(result))
    return 0


def measure_rss(size: int, attachment_kb: int) -> dict[str, Any]:
    """Peak RSS of a hub process syncing ``size`` applications, against fresh servers."""
    with tempfile.TemporaryDirectory(prefix="sync-rss-") as tmp:
        workdir = Path(tmp)
        servers = start_servers(workdir)
        try:
            seed_applications(servers.national_db, size, 2, attachment_kb)
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--rss-child",
                str(size),
                "--national-url",
                servers.national.url,
                "--local-url",
                servers.local.url,
                "--ledger",
                str(workdir / "ledger.sqlite"),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"the sync of {size} applications failed:\n{done.stderr[-3000:]}")
            result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
            created = local_truth(servers)["submissions"]["created_per_national_id"]
            assert result["acknowledged"] == size and len(created) == size and set(created.values()) == {1}
        finally:
            servers.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--applications", type=int, default=1000, help="outbound applications (default 1000)")
    parser.add_argument("--events", type=int, default=4000, help="inbound status changes, about (default 4000)")
    parser.add_argument(
        "--attachment-kb", type=int, default=48, help="largest generated file for (a) and (b), KiB (default 48)"
    )
    parser.add_argument(
        "--rss-sizes", default="1000,10000", help="SMALL,LARGE applications for (c) (default 1000,10000)"
    )
    parser.add_argument("--rss-attachment-kb", type=int, default=1, help="largest file for (c), KiB (default 1)")
    parser.add_argument("--skip-rss", action="store_true", help="measure (a) and (b) only")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--national-url", help=argparse.SUPPRESS)
    parser.add_argument("--local-url", help=argparse.SUPPRESS)
    parser.add_argument("--ledger", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        return rss_child(args)

    figures = Figures()
    measure_throughput(args, figures)
    if not args.skip_rss:
        small, large = (int(x) for x in args.rss_sizes.split(","))
        low, high = measure_rss(small, args.rss_attachment_kb), measure_rss(large, args.rss_attachment_kb)
        figures.values.update(
            {
                "rss_ratio_100k_10k": round(high["peak_rss_kb"] / low["peak_rss_kb"], 3),
                "rss_sizes": [small, large],
                "rss_peak_kb": [low["peak_rss_kb"], high["peak_rss_kb"]],
                "rss_before_sync_kb": [low["rss_before_sync_kb"], high["rss_before_sync_kb"]],
                "rss_sync_seconds": [round(low["seconds"], 1), round(high["seconds"], 1)],
            }
        )

    values = figures.values
    if args.json:
        print(json.dumps(values))
        return 0
    rows = [
        (
            "(a) inbound events/s",
            values["inbound_hub_events_per_s"],
            "dlt rest_api",
            values["inbound_dlt_events_per_s"],
            values["inbound_vs_dlt"],
            ">= 2",
        ),
        (
            "(b) outbound applications/s",
            values["outbound_hub_applications_per_s"],
            "plain POST loop",
            values["outbound_plain_posts_per_s"],
            values["outbound_vs_plain"],
            ">= 0.7",
        ),
    ]
    if "rss_ratio_100k_10k" in values:
        small, large = values["rss_sizes"]
        rows.append(
            (
                f"(c) peak RSS MiB, {large} apps",
                round(values["rss_peak_kb"][1] / 1024, 1),
                f"{small} apps",
                round(values["rss_peak_kb"][0] / 1024, 1),
                values["rss_ratio_100k_10k"],
                "< 1.2",
            )
        )
    print(f"{'measure':<30} {'hub':>9}  {'baseline':<18} {'value':>9} {'ratio':>7}  target")
    for name, hub_value, baseline, base_value, ratio, target in rows:
        print(f"{name:<30} {hub_value:>9}  {baseline:<18} {base_value:>9} {ratio:>7}  {target}")
    print(
        f"sizes: {values['outbound_applications']} applications (files up to {values['attachment_kb']} KiB), "
        f"{values['inbound_events']} status changes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
