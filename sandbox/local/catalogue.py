"""Which services a simulated system offers, read from service packages: the service code, the package,
its officers' status ladder, the fields its local system insists on, and the credentials it accepts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.index import load_index
from sandbox.credentials import rest_style
from sandbox.local.families import Family
from sandbox.local.mapping import form_field, literal
from sandbox.local.officers import StatusLadder

SAMPLE_PACKAGES = Path(__file__).resolve().parents[2] / "registry" / "packages"
_ENVELOPE_ALWAYS = ("application.id", "application.submitted_at", "application.channel")


def load_packages(root: Path = SAMPLE_PACKAGES) -> list[dict[str, Any]]:
    """Every hand-written package document under ``root`` (the sample registry by default), sorted by id:
    the default packages of the shared simulated systems.

    An overlay (a document with ``extends``, docs/templates.md) is not a whole package and is skipped: its
    composed form is read from the published registry (``adopted_packages``), and each adopting region
    runs its own simulated system (``regional_systems``), because the regions adopting one template share
    its service codes (every SIPENA says ``jenis_layanan`` SKP) and a simulated system keys services by code.
    """
    if not root.is_dir():
        return []
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.json"))]
    return sorted(
        (d for d in documents if isinstance(d, dict) and "local_system" in d and "extends" not in d),
        key=lambda d: str(d["id"]),
    )


def adopted_packages(registry: Path = SAMPLE_PACKAGES.parent) -> list[dict[str, Any]]:
    """The latest published (composed) version of every package that extends a template, sorted by id."""
    if not (registry / "index.json").is_file():
        return []
    documents = []
    for _, entry in sorted(load_index(registry)["packages"].items()):
        info = entry["versions"][entry["latest"]]
        document = json.loads((registry / info["path"]).read_text(encoding="utf-8"))
        if isinstance(document, dict) and "extends" in document:
            documents.append(document)
    return documents


def regional_systems(packages: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The REST ``packages`` (adopted ones, composed) by (region, style): one simulated system each, as each
    region runs its own local application at its own base URL. Serve each group with
    ``rest_indonesian.create_app(packages=...)`` / ``rest_cursor.create_app(packages=...)`` and point the
    group's base URLs at it."""
    systems: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for package in packages:
        if package["local_system"]["kind"] == "rest":
            systems.setdefault((str(package["region"]), rest_style(package)), []).append(package)
    return dict(sorted(systems.items()))


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
