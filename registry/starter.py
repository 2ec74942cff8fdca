"""A valid starter package for ``mpphub init``: every value can be given; the rest are sensible defaults
that a regional team edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.secret_scope import secret_namespace


@dataclass
class StarterOptions:
    """Values of a new package (``mpphub init`` flags)."""

    region: str
    slug: str
    name_id: str = "Nama layanan"
    name_en: str = "Service name"
    agency: str = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"
    category: str = "umum"
    description: str = "Deskripsi singkat layanan untuk warga."
    legal_basis: str = "Peraturan Daerah tentang penyelenggaraan pelayanan publik"
    sla_working_days: int = 5
    fee_idr: int = 0
    fee_legal_basis: str = ""
    kind: str = "rest"
    base_url: str = "https://layanan.example.go.id/api"
    secret_ref: str = ""
    contact_email: str = "layanan@example.go.id"
    contact_unit: str = "Tim TI Diskominfo"
    channels: list[str] = field(default_factory=lambda: ["online", "counter"])

    def default_secret_ref(self) -> str:
        """E.g. ``R3576_IZIN_REKLAME_TOKEN``: in the region's secret namespace, unique per package, an env var
        name and a Connection id."""
        tail = "TOKEN" if self.kind == "rest" else "DB_URL"
        return f"{secret_namespace(self.region)}{self.slug.replace('-', '_').upper()}_{tail}"


def _form() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["nik", "nama_lengkap", "no_hp"],
        "additionalProperties": False,
        "properties": {
            "nik": {"type": "string", "title": "NIK pemohon", "pattern": "^[0-9]{16}$", "x-personal-data": "nik"},
            "nama_lengkap": {
                "type": "string",
                "title": "Nama lengkap",
                "minLength": 2,
                "maxLength": 100,
                "x-personal-data": "name",
            },
            "no_hp": {
                "type": "string",
                "title": "Nomor HP",
                "pattern": "^(\\+62|0)8[0-9]{8,12}$",
                "x-personal-data": "phone",
            },
            "alamat": {"type": "string", "title": "Alamat", "maxLength": 300, "x-personal-data": "address"},
        },
    }


_STATUS_MAP = {
    "BARU": "received",
    "VERIFIKASI": "verifying",
    "PERBAIKAN": "needs_revision",
    "PROSES": "processing",
    "SELESAI": "approved",
    "DITOLAK": "rejected",
    "BATAL": "cancelled",
}


def _rest_local_system(opts: StarterOptions, secret_ref: str) -> dict[str, Any]:
    return {
        "kind": "rest",
        "base_url": opts.base_url,
        "auth": {"type": "bearer", "secret_ref": secret_ref},
        "operations": {
            "submit": {
                "method": "POST",
                "path": "/permohonan",
                "body": {
                    "id_permohonan_nasional": "application.id",
                    "tanggal_pengajuan": "application.submitted_at",
                    "nik": "form.nik",
                    "nama": "form.nama_lengkap",
                    "telepon": "form.no_hp",
                    "alamat": "form.alamat",
                },
                "reference_path": "data.nomor_registrasi",
            },
            "status_changes": {
                "method": "GET",
                "path": "/permohonan/perubahan-status",
                "records_path": "data",
                "pagination": {
                    "style": "page_number",
                    "page_param": "halaman",
                    "size_param": "per_halaman",
                    "page_size": 100,
                },
                "cursor": {"param": "sejak", "field": "diperbarui_pada", "lookback_seconds": 300},
                "fields": {"reference": "nomor_registrasi", "status": "kode_status", "changed_at": "diperbarui_pada"},
            },
        },
        "status_map": dict(_STATUS_MAP),
        "idempotency": {"strategy": "key_header", "header": "Idempotency-Key"},
    }


def _sql_local_system(opts: StarterOptions, secret_ref: str) -> dict[str, Any]:
    return {
        "kind": "sql",
        "dialect": "mariadb",
        "connection_ref": secret_ref,
        "tables": {
            "applications": {
                "table": "permohonan",
                "reference_column": "id",
                "national_id_column": "id_nasional",
                "columns": {
                    "id_nasional": "application.id",
                    "nik": "form.nik",
                    "nama": "form.nama_lengkap",
                    "telepon": "form.no_hp",
                    "alamat": "form.alamat",
                    "tgl_masuk": "application.submitted_at",
                },
            },
            "status_changes": {
                "table": "riwayat_status",
                "cursor_column": "id",
                "columns": {"reference": "permohonan_id", "status": "status", "changed_at": "waktu", "event_id": "id"},
            },
        },
        "status_map": dict(_STATUS_MAP),
        "idempotency": {"strategy": "lookup_by_reference"},
    }


def starter_package(opts: StarterOptions) -> dict[str, Any]:
    """Build the package document for ``opts`` (valid when the options are)."""
    secret_ref = opts.secret_ref or opts.default_secret_ref()
    fee: dict[str, Any] = {"type": "free"}
    if opts.fee_idr > 0:
        fee = {"type": "paid", "amount_idr": opts.fee_idr, "legal_basis": opts.fee_legal_basis or opts.legal_basis}
    local = _rest_local_system(opts, secret_ref) if opts.kind == "rest" else _sql_local_system(opts, secret_ref)
    return {
        "schema_version": "1",
        "id": f"{opts.region}/{opts.slug}",
        "version": "0.1.0",
        "region": opts.region,
        "service": {
            "name": {"id": opts.name_id, "en": opts.name_en},
            "agency": opts.agency,
            "category": opts.category,
            "description": {"id": opts.description},
            "legal_basis": [opts.legal_basis],
            "sla_working_days": opts.sla_working_days,
            "fee": fee,
            "requirements": [
                {
                    "id": "ktp_pemohon",
                    "name": "KTP elektronik pemohon",
                    "formats": ["pdf", "jpg", "png"],
                    "max_size_kb": 2048,
                    "required": True,
                }
            ],
            "outputs": ["Dokumen hasil layanan"],
            "channels": list(opts.channels),
        },
        "form": _form(),
        "local_system": local,
        "contact": {"unit": opts.contact_unit, "email": opts.contact_email},
    }
