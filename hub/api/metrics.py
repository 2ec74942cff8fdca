"""``/metrics``: the health report in the Prometheus text format.

Label sets are bounded: a ``region`` label (at most the 552 Pemda codes) and a ``state`` label (five
values); never a service, a version or an application, and no personal data.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.health.report import STATES, HealthReport

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _ReportCollector(Collector):
    def __init__(self, report: HealthReport) -> None:
        self.report = report

    def collect(self) -> Iterator[Metric]:
        regions = self.report.regions.values()
        per_region = {
            "backlog": ("mpphub_region_backlog", "applications and status events waiting"),
            "dead_letters": ("mpphub_region_dead_letters", "open dead letters"),
            "sla_breaches": ("mpphub_region_sla_breaches", "open applications past their SLA in working days"),
            "lag_seconds": ("mpphub_region_lag_seconds", "age of the oldest waiting item"),
            "failures": ("mpphub_region_failed_runs_24h", "failed sync runs in the last 24 hours"),
            "services": ("mpphub_region_services", "published services"),
        }
        for key, (name, doc) in per_region.items():
            family = GaugeMetricFamily(name, doc, labels=["region"])
            for row in regions:
                family.add_metric([row["code"]], float(row[key]))
            yield family
        state = GaugeMetricFamily("mpphub_region_state", "1 for the region's current state", labels=["region", "state"])
        for row in regions:
            for name in STATES:
                state.add_metric([row["code"], name], 1.0 if row["state"] == name else 0.0)
        yield state
        totals = self.report.totals()
        counts = GaugeMetricFamily("mpphub_regions", "regions by state", labels=["state"])
        for name in STATES:
            counts.add_metric([name], float(totals[name]))
        yield counts
        for key, doc in (
            ("applications", "applications in the ledger"),
            ("delivered", "applications delivered to local systems"),
            ("backlog", "items waiting"),
            ("dead_letters", "open dead letters"),
            ("sla_breaches", "open applications past their SLA"),
            ("services", "published services"),
        ):
            yield GaugeMetricFamily(f"mpphub_{key}", doc, value=float(totals[key]))


def render(report: HealthReport) -> bytes:
    """The exposition text of one report."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ReportCollector(report))
    return generate_latest(registry)
