"""The packages the engine works with: every published version, by (id, version), from the registry
index — so an application is always handled under the version it was submitted with."""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs

from connectors.ledger.types import NewApplication
from connectors.masking import mask_nik, mask_phone
from connectors.records import parse_time
from registry.index import load_index


class PackageSource:
    """Read access to a registry folder's published packages."""

    def __init__(self, registry: Path) -> None:
        self.registry = registry
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._forms: dict[tuple[str, str], Any] = {}

    @cached_property
    def index(self) -> dict[str, Any]:
        """registry/index.json."""
        return load_index(self.registry)

    def service_ids(self, region: str | None = None, service: str | None = None) -> list[str]:
        """Published service ids, filtered by region (a province includes its regencies) or one id."""
        ids = []
        for package_id, entry in sorted(self.index["packages"].items()):
            if service and package_id != service:
                continue
            if region and entry["region"] != region and not entry["region"].startswith(region + "."):
                continue
            ids.append(package_id)
        return ids

    def latest(self, service_id: str) -> dict[str, Any]:
        """The latest published version."""
        return self.version(service_id, self.index["packages"][service_id]["latest"])

    def version(self, service_id: str, version: str) -> dict[str, Any]:
        """One published version (cached)."""
        key = (service_id, version)
        if key not in self._cache:
            info = self.index["packages"][service_id]["versions"][version]
            self._cache[key] = json.loads((self.registry / info["path"]).read_text(encoding="utf-8"))
        return self._cache[key]

    def form_problems(self, service_id: str, version: str, form: dict[str, Any]) -> list[str]:
        """Where the form data breaks the version's form schema (paths and rules only, never values)."""
        key = (service_id, version)
        if key not in self._forms:
            try:
                # offline: a form's $ref must never make the hub fetch a URL (a hostile package could aim
                # it at an internal address, past the host policy); the validator refuses such forms too
                self._forms[key] = jsonschema_rs.validator_for(self.version(service_id, version)["form"], offline=True)
            except (jsonschema_rs.ValidationError, ValueError):
                return [f"(form schema): the form of {service_id} {version} does not compile offline"]
        validator = self._forms[key]
        problems = []
        for error in validator.iter_errors(form):
            where = "/".join(str(p) for p in error.instance_path) or "(form)"
            problems.append(f"{where}: {type(error.kind).__name__}")
        return problems

    def status_for(self, service_id: str, version: str, local_status: str) -> str | None:
        """The national status of a local code under one version's status map."""
        try:
            mapping: dict[str, str] = self.version(service_id, version)["local_system"]["status_map"]
        except KeyError:
            mapping = self.latest(service_id)["local_system"]["status_map"]
        return mapping.get(local_status)


def subject_hash(package: dict[str, Any], form: dict[str, Any], key: bytes) -> str | None:
    """Keyed HMAC of the applicant's NIK (the first form field marked ``x-personal-data: nik``): enough
    to match applications of one person, useless to anyone without the key."""
    for name, field in package["form"].get("properties", {}).items():
        if isinstance(field, dict) and field.get("x-personal-data") == "nik" and isinstance(form.get(name), str):
            return hmac.new(key, form[name].encode(), hashlib.sha256).hexdigest()
    return None


def masked_identifiers(package: dict[str, Any], form: dict[str, Any]) -> tuple[str | None, str | None]:
    """(NIK, phone) of the applicant, masked for the dashboard: the first form fields marked
    ``x-personal-data: nik`` / ``phone`` that hold a string."""
    found: dict[str, str] = {}
    for name, field in package["form"].get("properties", {}).items():
        kind = field.get("x-personal-data") if isinstance(field, dict) else None
        if kind in ("nik", "phone") and kind not in found and isinstance(form.get(name), str):
            found[kind] = mask_nik(form[name]) if kind == "nik" else mask_phone(form[name])
    return found.get("nik"), found.get("phone")


def new_application(
    record: dict[str, Any], service_id: str, region: str, package: dict[str, Any] | None, key: bytes
) -> NewApplication:
    """A national feed record (``ApplicationRecord``) as the ledger stores it: NIK and phone masked and the
    subject hashed by the package's form (none without a package: a service not in the registry yet)."""
    envelope, form = record["application"], record["form"]
    nik_masked, phone_masked = masked_identifiers(package, form) if package else (None, None)
    return NewApplication(
        national_id=envelope["id"],
        service_id=service_id,
        region=region,
        package_version=envelope["package_version"],
        submitted_at=parse_time(envelope["submitted_at"]),
        payload=record,
        subject_hash=subject_hash(package, form, key) if package else None,
        status=envelope.get("status", "submitted"),
        nik_masked=nik_masked,
        phone_masked=phone_masked,
    )
