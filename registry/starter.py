"""A valid starter package for ``mpphub init``: every value can be given; the rest are sensible defaults
that a regional team edits. The values it cannot know are placeholders (``registry/placeholders.py``, the
one list): valid for drafting, refused by ``mpphub publish`` until replaced."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry import placeholders as ph
from registry.secret_scope import secret_namespace

# The ending of the one secret_ref an auth type names (derived from the region and slug); basic and
# oauth2 name two secrets, derived in starter_auth
_SECRET_TAIL = {"api_key": "API_KEY", "bearer": "TOKEN"}


@dataclass
class StarterOptions:
    """Values of a new package (``mpphub init`` flags)."""

    region: str
    slug: str
    name_id: str = ph.NAME_ID.text
    name_en: str = ph.NAME_EN.text
    agency: str = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"
    category: str = "umum"
    description: str = ph.DESCRIPTION.text
    legal_basis: str = ph.LEGAL_BASIS.text
    sla_working_days: int = 5
    fee_idr: int = 0
    fee_legal_basis: str = ""  # empty: the placeholder Perda (ph.FEE_LEGAL_BASIS) when there is a fee
    kind: str = "rest"
    base_url: str = f"https://{ph.PLACEHOLDER_HOST}/api"
    auth_type: str = "bearer"
    token_url: str = f"https://{ph.PLACEHOLDER_HOST}/oauth/token"
    dialect: str = "mariadb"
    secret_ref: str = ""
    contact_email: str = ph.EMAIL.text
    contact_unit: str = "Tim TI Diskominfo"
    channels: list[str] = field(default_factory=lambda: ["online", "counter"])

    def default_secret_ref(self, starter: StarterKind) -> str:
        """E.g. ``R3576_IZIN_REKLAME_TOKEN``: in the region's secret namespace, unique per package, an env var
        name and a Connection id. Its ending is the kind's (``DB_URL``), else the auth type's."""
        tail = starter.secret_tail or _SECRET_TAIL.get(self.auth_type, "TOKEN")
        return f"{self.secret_prefix()}_{tail}"

    def secret_prefix(self) -> str:
        """``R3576_IZIN_REKLAME``: the start of every secret name this package's starter derives."""
        return f"{secret_namespace(self.region)}{self.slug.replace('-', '_').upper()}"


# The StarterOptions fields only some kinds use: each kind's StarterKind.questions says which it asks.
KIND_OPTIONS = frozenset({"base_url", "auth_type", "token_url", "dialect"})


@dataclass(frozen=True)
class StarterKind:
    """What ``mpphub init`` needs from one connector kind: which of ``KIND_OPTIONS`` it asks (``token_url``
    only under oauth2 auth), how its one derived secret name ends (None: by the auth type, e.g. ``TOKEN``),
    and its starter ``local_system`` section built from the options and that secret name.

    Each connector class carries its own (``LocalConnector.starter``, connectors/): the registry cannot
    import connectors, so the hub hands the chosen kind's StarterKind to ``starter_package``."""

    questions: frozenset[str]
    local_system: Callable[[StarterOptions, str], dict[str, Any]]
    secret_tail: str | None = None

    def asks(self, option: str, opts: StarterOptions) -> bool:
        """Whether ``mpphub init`` asks ``option`` of a package of this kind (options of other kinds: never)."""
        if option not in KIND_OPTIONS:
            return True
        if option == "token_url" and opts.auth_type != "oauth2_client_credentials":
            return False
        return option in self.questions


def schema_choices() -> dict[str, list[str]]:
    """The closed lists a starter's answers choose from, read from the package schema (the single source):
    ``category``, ``kind``, ``auth_type`` and ``dialect``."""
    from registry.schemas import categories, package_schema

    defs = package_schema()["$defs"]
    local = defs["local_system"]
    dialects: list[str] = next(
        branch["then"]["properties"]["dialect"]["enum"]
        for branch in local["allOf"]
        if "dialect" in branch.get("then", {}).get("properties", {})
    )
    return {
        "category": categories(),
        "kind": list(local["properties"]["kind"]["enum"]),
        "auth_type": list(defs["auth"]["properties"]["type"]["enum"]),
        "dialect": list(dialects),
    }


# 250000 | 250.000 | 1.250.000 (dots group thousands, as Indonesians write amounts); then an optional ,00 or ,-
_RUPIAH = re.compile(r"^(?P<digits>[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)(?:,0{1,2}|,-)?$")


def parse_rupiah(text: str) -> int:
    """A fee as a regional team writes it: ``250000``, ``250.000``, ``Rp 250.000``, ``Rp250.000,00``,
    ``IDR 250.000``; ``gratis``/``free`` is 0. ValueError for anything else (``250,000`` is refused: in
    Indonesian the comma starts the decimals, and a rupiah fee has none)."""
    cleaned = text.strip()
    if cleaned.lower() in ("gratis", "free", "-"):
        return 0
    lowered = cleaned.lower()
    for prefix in ("rp.", "rp", "idr"):
        if lowered.startswith(prefix):
            cleaned = cleaned[len(prefix) :].strip()
            break
    match = _RUPIAH.match(cleaned.replace(" ", ""))
    if not match:
        raise ValueError(f"not an amount in rupiah: {text.strip()[:40]!r}")
    return int(match["digits"].replace(".", ""))


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


# the local status codes every starter begins with (the team edits them to its system's own)
STARTER_STATUS_MAP = {
    "BARU": "received",
    "VERIFIKASI": "verifying",
    "PERBAIKAN": "needs_revision",
    "PROSES": "processing",
    "SELESAI": "approved",
    "DITOLAK": "rejected",
    "BATAL": "cancelled",
}


def starter_auth(opts: StarterOptions, secret_ref: str) -> dict[str, Any]:
    """The ``auth`` block of ``opts.auth_type``, its secrets named in the region's namespace."""
    prefix = opts.secret_prefix()
    if opts.auth_type == "none":
        return {"type": "none"}
    if opts.auth_type == "api_key":
        return {"type": "api_key", "in": "header", "name": "X-API-Key", "secret_ref": secret_ref}
    if opts.auth_type == "basic":
        return {"type": "basic", "username_ref": f"{prefix}_USERNAME", "password_ref": f"{prefix}_PASSWORD"}
    if opts.auth_type == "oauth2_client_credentials":
        return {
            "type": "oauth2_client_credentials",
            "token_url": opts.token_url,
            "client_id_ref": f"{prefix}_CLIENT_ID",
            "client_secret_ref": f"{prefix}_CLIENT_SECRET",
        }
    return {"type": opts.auth_type, "secret_ref": secret_ref}  # bearer (and an unknown type: the schema says)


def starter_package(opts: StarterOptions, starter: StarterKind) -> dict[str, Any]:
    """Build the package document for ``opts``, its ``local_system`` by the kind's ``starter`` (valid when
    the options are)."""
    secret_ref = opts.secret_ref or opts.default_secret_ref(starter)
    fee: dict[str, Any] = {"type": "free"}
    if opts.fee_idr > 0:
        fee = {
            "type": "paid",
            "amount_idr": opts.fee_idr,
            "legal_basis": opts.fee_legal_basis or ph.FEE_LEGAL_BASIS.text,
        }
    local = starter.local_system(opts, secret_ref)
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
            "outputs": [ph.OUTPUT.text],
            "channels": list(opts.channels),
        },
        "form": _form(),
        "local_system": local,
        "contact": {"unit": opts.contact_unit, "email": opts.contact_email},
    }
