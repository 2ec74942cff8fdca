"""Response and request bodies of the hub API: the JSON contract the dashboard is built against."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

State = Literal["live", "onboarding", "failing", "stalled", "stuck"]
Role = Literal["region", "coordinator", "operator"]


class ErrorBody(BaseModel):
    """Every error: one message, never an echo of the request's values."""

    error: str
    problems: list[dict[str, str]] | None = Field(default=None, description="validation problems (publish)")


class Me(BaseModel):
    """The caller."""

    name: str
    role: Role
    region: str | None


class Waiting(BaseModel):
    """What waits, what is late and what was delivered: the counts the totals, regions and services all carry."""

    backlog: int = Field(description="what waits: undelivered applications, unpushed status events, national backlog")
    national_backlog: int | None = Field(
        None,
        description="citizens' applications waiting on the national layer that the hub has not pulled yet"
        " (included in backlog); null: unknown - the national layer could not be asked - never 0",
    )
    sla_breaches: int = Field(
        description="open applications past their SLA (working days, WIB) plus applications closed late"
        " (first terminal status after the due day) within the last 30 days"
    )
    sla_closed_late: int = Field(
        0, description="applications closed late (first terminal status after the due day) in the last 30 days"
    )
    delivered: int


class RegionStates(BaseModel):
    """How many regions there are, and how many in each state."""

    regions: int
    live: int
    onboarding: int
    failing: int
    stalled: int
    stuck: int = Field(0, description="a queue held by the same item (hub/health/stuck.py)")


class Totals(RegionStates, Waiting):
    """Counts across the regions in scope."""

    services: int
    applications: int
    dead_letters: int


class SeriesPoint(BaseModel):
    """One hour of throughput."""

    at: str
    delivered: int
    events: int
    lag_seconds: int


class Overview(BaseModel):
    """The national (or the caller's region's) picture."""

    generated_at: str
    totals: Totals
    series: list[SeriesPoint]


class ProvinceRow(RegionStates):
    """A province's regions rolled up."""

    code: str
    name: str
    backlog: int
    dead_letters: int
    sla_breaches: int


class StuckQueue(BaseModel):
    """Why a service is stuck: the item at the head of one of its queues, tried again and again."""

    service_id: str
    flow: Literal["outbound", "inbound"]
    item: str = Field(description="the national application id (outbound) or the status event id (inbound)")
    attempts: int
    last_error: str | None = Field(description="NIK- and phone-like numbers masked")
    since: str | None = Field(description="when the hub took the item in")
    reason: str


class HealthState(Waiting):
    """What health says about a region or a service, but for the dead letters and the applications."""

    state: State
    reason: str
    last_success: str | None
    lag_seconds: int
    failures: int
    last_error: str | None


class HealthFields(HealthState):
    """What health says about a region or a service, dead letters and applications counted."""

    dead_letters: int
    applications: int


class RegionFields(HealthFields):
    """A region's health and where it lies."""

    code: str
    name: str
    province_code: str
    province_name: str


class RegionRow(RegionFields):
    """A region's health."""

    services: int


class ServiceRow(HealthFields):
    """A service's health."""

    service_id: str
    name: str
    name_en: str | None
    region: str
    category: str | None
    version: str | None
    sla_working_days: int | None
    stuck: StuckQueue | None = None


class RegionPage(RegionFields):
    """A region with its services (``services`` is the list; ``service_count`` the number)."""

    service_count: int
    services: list[ServiceRow]


class ApplicationRow(BaseModel):
    """One application as the dashboard may show it: identifiers masked."""

    national_id: str
    submitted_at: str
    status: str
    delivery: str
    package_version: str
    nik_masked: str | None
    phone_masked: str | None


class DeadLetterRow(BaseModel):
    """An item the hub could not move, and why."""

    id: int
    kind: str
    ref: str
    service_id: str
    region: str
    flow: str
    reason: str
    created_at: str
    attempts: int
    replays: int


class DeadLetterItem(DeadLetterRow):
    """A dead letter on the national dead-letter page: with the local system's own reference."""

    region_name: str
    local_reference: str | None = Field(
        description="the local system's reference of the item (an application's registration number, an"
        " event's application's, a quarantined record's); null when the local system never gave one"
    )
    national_id: str | None = Field(description="the national application id, when the item has one")


class RegionCount(BaseModel):
    """How many open dead letters match in one region."""

    code: str
    name: str
    count: int


class DeadLetterPage(BaseModel):
    """One page of open dead letters, newest first, and how many match."""

    items: list[DeadLetterItem]
    total: int
    page: int
    page_size: int
    pages: int
    regions: list[RegionCount] = Field(
        description="regions with matching open dead letters (every filter but the region's), for the region filter"
    )


class ServiceDetail(HealthState):
    """A service's health, its 100 most recent applications and its open dead letters."""

    service_id: str
    name: str
    name_en: str | None
    region: str
    region_name: str
    province_code: str = Field("", description="the province of the service's region (breadcrumbs)")
    province_name: str = ""
    category: str | None
    version: str | None
    sla_working_days: int | None
    dead_letters: list[DeadLetterRow]
    dead_letter_count: int
    application_count: int
    stuck: StuckQueue | None = None
    applications: list[ApplicationRow]


class CatalogueRow(BaseModel):
    """A published service, its latest version."""

    service_id: str
    region: str
    name: str
    name_en: str | None
    category: str
    agency: str | None
    version: str
    sla_working_days: int
    fee_idr: int
    channels: list[str]
    kind: str


class DivergentPackage(BaseModel):
    """An adopting package and how long its overlay is (its difference from the template)."""

    package_id: str
    version: str | None
    template_version: str
    overlay_lines: int


class TemplateRow(BaseModel):
    """A published template or connector profile and how the nation adopts it."""

    id: str
    kind: str
    title: dict[str, str]
    latest: str | None
    adopting: int
    by_version: dict[str, int]
    behind_latest: int
    regions: int
    most_divergent: list[DivergentPackage]


class VersionRow(BaseModel):
    """A published version of a package."""

    version: str
    published_at: str | None
    sha256: str
    latest: bool


class Published(BaseModel):
    """What publishing did."""

    service_id: str
    version: str
    outcome: Literal["published", "unchanged"]
    sha256: str
    audit_seq: int | None


class Replayed(BaseModel):
    """A dead letter put back in line."""

    id: int
    kind: str
    ref: str
    service_id: str
    audit_seq: int


class ReplaySelection(BaseModel):
    """Dead letters to replay together (a filtered selection on the dashboard), at most 100."""

    ids: list[int] = Field(min_length=1, max_length=100)


class ReplayedSelection(BaseModel):
    """What replaying a selection did: each replayed letter (audited one by one) and the ids no longer open."""

    replayed: list[Replayed]
    not_open: list[int]


class AuditRow(BaseModel):
    """One audit record."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditVerification(BaseModel):
    """Whether the audit chain holds."""

    ok: bool
    records: int
    broken_seq: int | None
    reason: str | None


class HistoryPoint(BaseModel):
    """One UTC hour of a region, as the sync sampled it at the end of its cycles."""

    at: str = Field(description="the hour's start, UTC")
    lag_seconds: int = Field(description="the worst lag of the hour: age of the oldest waiting item")
    backlog: int = Field(
        description="the worst backlog of the hour (ledger: undelivered applications and unpushed events)"
    )
    failures: int = Field(description="failed flow runs (retriable or fatal) in the hour")
    dead_letters: int = Field(description="the most open dead letters in the hour")
    samples: int = Field(description="sync cycles that sampled the region in the hour")


class RegionHistory(BaseModel):
    """A region's hourly history over the last ``days`` (hours without a sync cycle have no point)."""

    code: str
    name: str
    days: int
    retention_days: int = Field(description="how many days the ledger keeps (MPPHUB_HISTORY_DAYS)")
    since: str = Field(description="the first hour asked for, UTC")
    until: str = Field(description="the end of the current hour, UTC")
    points: list[HistoryPoint]
