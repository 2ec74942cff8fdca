"""The generated national registry of ``bench/national_cycle.py``: ``services`` packages copied from five
sample REST packages (``TEMPLATES``), spread over every Kemendagri region, each with its own id, service
code, base URL and region secrets, validated with the registry's checks and published (the real publish
path once per template; the rest with the same checks and files, the index written once at the end)."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from registry.index import catalogue_entry, load_index, published_path, save_index
from registry.publish import publish
from registry.regions import region_table
from registry.secret_scope import rehome_secrets
from registry.validate import check_document
from sandbox.local.families import APPLICATIONS, INDONESIAN, REGISTRATIONS

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "registry" / "packages"
# (sample package, sandbox style): style (a) is sandbox.local.rest_indonesian, (b) sandbox.local.rest_cursor
TEMPLATES = (
    ("35.76/akta-kelahiran", "a"),
    ("35.76/kartu-identitas-anak", "a"),  # declares walk-ins: the walk_in flow polls too
    ("35.76/izin-reklame", "b"),  # SIMPEL: cursor pages, basic auth
    ("35.78/keterangan-rencana-kota", "b"),  # SSW Alfa: Link-header pages, API key
    ("35/surat-izin-penangkapan-ikan", "b"),  # e-Perizinan Jatim: cursor pages, API key
)
FAMILIES = (INDONESIAN, APPLICATIONS, REGISTRATIONS)


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def region_codes() -> list[str]:
    """Every region code, regencies/cities first (where most services live), then provinces."""
    regions = region_table().all()
    return [r.code for r in regions if not r.is_province] + [r.code for r in regions if r.is_province]


def _discriminator(doc: dict[str, Any]) -> str:
    path = doc["local_system"]["operations"]["submit"]["path"]
    for family in FAMILIES:
        if family.collection == path:
            return family.discriminator
    raise ValueError(f"{doc['id']}: no sandbox REST family serves {path}")


def make_document(template: dict[str, Any], index: int, region: str) -> dict[str, Any]:
    """Service ``index``: a copy of ``template`` in ``region`` with its own id, service code and base URL."""
    doc: dict[str, Any] = json.loads(json.dumps(template))
    slug = template["id"].partition("/")[2]
    doc["id"], doc["region"] = f"{region}/{slug}-{index:05d}", region
    local = doc["local_system"]
    discriminator = _discriminator(doc)
    code = f"S{index:05d}"
    local["operations"]["submit"]["body"][discriminator] = f"'{code}'"
    for operation in local["operations"].values():
        if discriminator in operation.get("query", {}):
            operation["query"][discriminator] = code
    host = slug.replace("_", "-")
    local["base_url"] = f"https://{host}-{region.replace('.', '-')}.example.go.id/api/v1"
    rehome_secrets(doc, region)
    return doc


def generate_registry(root: Path, services: int, quiet: bool) -> list[tuple[dict[str, Any], str]]:
    """``services`` packages published into ``root``; returns (document, sandbox style) of each."""
    templates = []
    for package_id, style in TEMPLATES:
        region, _, slug = package_id.partition("/")
        templates.append((json.loads((SAMPLES / region / f"{slug}.json").read_text(encoding="utf-8")), style))
    regions = region_codes()
    generated: list[tuple[dict[str, Any], str]] = []
    entries: dict[str, dict[str, Any]] = {}
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for index in range(services):
        template, style = templates[index % len(templates)]
        doc = make_document(template, index, regions[index % len(regions)])
        raw = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        source = root / "packages" / doc["region"] / f"{doc['id'].partition('/')[2]}.json"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(raw)
        if index < len(templates):  # the real publish path, once per template
            outcome = publish(source, root)
            if outcome.outcome != "published":
                raise SystemExit(f"generating {doc['id']}: {[p.as_line() for p in outcome.problems]}")
        else:  # the same checks and files, with the index written once at the end (publish rewrites it each time)
            problems = check_document(source, doc, str(source))
            if problems:
                raise SystemExit(f"generating {doc['id']}: {[p.as_line() for p in problems]}")
            relative = published_path(doc["id"], doc["version"])
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
            version = {"sha256": hashlib.sha256(raw).hexdigest(), "path": relative, "published_at": stamp}
            entries[doc["id"]] = {
                "versions": {doc["version"]: version},
                "latest": doc["version"],
                **catalogue_entry(doc),
            }
        generated.append((doc, style))
        if (index + 1) % 1000 == 0:
            _say(quiet, f"generated {index + 1} of {services} packages")
    index_doc = load_index(root)
    index_doc["packages"].update(entries)
    save_index(root, index_doc)
    return generated
