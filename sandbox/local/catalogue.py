"""Which services a simulated system offers, read from service packages: the service code, the package,
its officers' status ladder, the fields its local system insists on, and the credentials it accepts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.local.families import Family
from sandbox.local.mapping import form_field, literal
from sandbox.local.officers import StatusLadder

SAMPLE_PACKAGES = Path(__file__).resolve().parents[2] / "registry" / "packages"
_ENVELOPE_ALWAYS = ("application.id", "application.submitted_at", "application.channel")


def load_packages(root: Path = SAMPLE_PACKAGES) -> list[dict[str, Any]]:
    """Every package document under ``root`` (the sample registry by default), sorted by id."""
    if not root.is_dir():
        return []
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.json"))]
    return sorted((d for d in documents if isinstance(d, dict) and "local_system" in d), key=lambda d: str(d["id"]))


@dataclass(frozen=True)
class Service:
    """One package as a simulated REST system serves it."""

    code: str  # the value of the family's discriminator field, e.g. AKTA_LAHIR
    family: Family
    package: dict[str, Any]
    ladder: StatusLadder
    required: tuple[str, ...]  # dotted local body fields that must be present
    auth_type: str
    walk_in_channel: str | None  # the channel value of walk-ins (the walk_ins filter); None: no walk-ins

    @property
    def package_id(self) -> str:
        """The package id, e.g. ``35.76/akta-kelahiran``."""
        return str(self.package["id"])

    @property
    def operations(self) -> dict[str, Any]:
        """The package's REST operations."""
        operations: dict[str, Any] = self.package["local_system"]["operations"]
        return operations


def _required_fields(package: dict[str, Any]) -> tuple[str, ...]:
    """Local fields fed by a literal, the envelope, or a REQUIRED form field: a local system refuses a
    request without them (optional form fields may be absent)."""
    required_form = set(package["form"].get("required", []))
    body: dict[str, str] = package["local_system"]["operations"]["submit"]["body"]
    return tuple(
        target
        for target, expression in body.items()
        if literal(expression) is not None
        or expression.strip() in _ENVELOPE_ALWAYS
        or form_field(expression) in required_form
    )


def services_for(family: Family, packages: list[dict[str, Any]]) -> dict[str, Service]:
    """The packages of ``family`` (submit path and a literal discriminator in the body), by service code."""
    services: dict[str, Service] = {}
    for package in packages:
        local = package.get("local_system", {})
        submit = local.get("operations", {}).get("submit", {}) if local.get("kind") == "rest" else {}
        code = literal(submit.get("body", {}).get(family.discriminator, ""))
        if submit.get("path") != family.collection or code is None:
            continue
        if code in services:
            raise ValueError(f"{package['id']} and {services[code].package_id} both use {family.discriminator} {code}")
        walk_ins = local["operations"].get("walk_ins")
        services[code] = Service(
            code=code,
            family=family,
            package=package,
            ladder=StatusLadder(local["status_map"]),
            required=_required_fields(package),
            auth_type=str(local["auth"]["type"]),
            walk_in_channel=None if walk_ins is None else str(walk_ins.get("query", {}).get(family.channel, "LOKET")),
        )
    return services
