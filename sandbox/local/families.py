"""The API shapes of the simulated REST systems ("families"): paths, field names, pagination and
error conventions. A package belongs to the family whose collection path and service discriminator
its ``submit`` operation uses; the shapes below are exactly what the sample packages declare."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timezone

from sandbox.local.clock import WIB


@dataclass(frozen=True)
class Family:
    """One local API shape, served by ``rest_engine`` for every package of the family."""

    name: str
    collection: str  # POST: submit; GET: list / look up / walk-ins
    history: str  # GET: status changes
    attachments: str | None  # POST {collection}/{reference}/<this>: one multipart file (None: inline only)
    inline_attachments: str | None  # body field of inline base64 attachments
    records_key: str  # where lists and the submitted record sit in a response body
    discriminator: str  # body field / query parameter naming the service
    reference: str
    national_id: str
    channel: str
    status: str
    created_at: str
    changed_at: str  # a status change's time, and an application's last-update time
    event_id: str
    note: str
    since_param: str  # status changes since a time
    created_since_param: str  # applications created since a time
    since_inclusive: bool  # "sejak" / "updated_since" include the instant; "modified_after" does not
    pagination: str  # "page" (page number), "cursor" (token in the body), "link" (Link header)
    size_param: str
    page_param: str = ""
    cursor_param: str = ""
    invalid_status: int = 422  # status of a request the system refuses as invalid
    zone: timezone = WIB
    idempotent: bool = False  # honours the idempotency key header its packages declare
    acknowledgement: str | None = None  # a success message wrapped around created records ("status", "pesan")
    reference_prefix: str = ""


INDONESIAN = Family(
    name="permohonan",
    collection="/permohonan",
    history="/permohonan/perubahan-status",
    attachments=None,
    inline_attachments="lampiran",
    records_key="data",
    discriminator="jenis_layanan",
    reference="nomor_registrasi",
    national_id="id_permohonan_nasional",
    channel="kanal",
    status="kode_status",
    created_at="dibuat_pada",
    changed_at="diperbarui_pada",
    event_id="id_riwayat",
    note="keterangan",
    since_param="sejak",
    created_since_param="dibuat_sejak",
    since_inclusive=True,
    pagination="page",
    page_param="halaman",
    size_param="per_halaman",
    idempotent=True,
    acknowledgement="Permohonan berhasil didaftarkan",
    reference_prefix="3576",
)

APPLICATIONS = Family(
    name="applications",
    collection="/applications",
    history="/applications/events",
    attachments="documents",
    inline_attachments=None,
    records_key="data",
    discriminator="permit_type",
    reference="application_no",
    national_id="external_ref",
    channel="channel",
    status="status",
    created_at="created_at",
    changed_at="updated_at",
    event_id="event_id",
    note="remarks",
    since_param="updated_since",
    created_since_param="created_since",
    since_inclusive=True,
    pagination="cursor",
    cursor_param="cursor",
    size_param="limit",
    zone=UTC,
    reference_prefix="APP",
)

REGISTRATIONS = Family(
    name="registrations",
    collection="/registrations",
    history="/registrations/history",
    attachments="files",
    inline_attachments=None,
    records_key="result",
    discriminator="service_code",
    reference="registration_no",
    national_id="external_id",
    channel="source",
    status="status_code",
    created_at="created_at",
    changed_at="modified_at",
    event_id="history_id",
    note="remark",
    since_param="modified_after",
    created_since_param="created_after",
    since_inclusive=False,
    pagination="link",
    cursor_param="page_token",
    size_param="limit",
    invalid_status=400,
    reference_prefix="SBY",
)
