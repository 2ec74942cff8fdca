"""Benchmark: validate a national registry of packages that ADOPT templates, beside the hand-written one.

Generates, in a temp dir, a registry of ~200 published templates (the sample registry's service templates
and, for each, a connector profile built from Kota Mojokerto's local system, in variants) and N overlays
(default 100,000) spread over all 552 regions — each region's package a short overlay naming its agency,
description, endpoint, secret and contact. Then, in this one run:

  * `mpphub validate DIR/packages --format json` over the adopting registry (every package composed with
    its template and profile, then checked with every rule), as a subprocess on all cores;
  * the baseline: the same command over N hand-written packages (``bench/validate_registry.py``'s generator,
    the registry as it is today);
  * the size on disk of both registries (the adopting one counts its templates too), and the median
    overlay length in lines.

Target (issue 11): the adopting registry validates no slower than the hand-written one.
``--json`` prints one object with both timings, their ratio, the sizes and the median overlay lines.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.validate_registry import generate as generate_hand_written  # noqa: E402
from registry.publish import publish  # noqa: E402
from registry.regions import region_table  # noqa: E402

MPPHUB = Path(sys.executable).parent / "mpphub"
SECRET_KEYS = ("secret_ref", "connection_ref")


def _sample_templates() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The sample registry's service templates, with the hand-written package each was built from."""
    found = []
    for path in sorted((REPO / "registry/templates/nasional").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["template"]["kind"] == "service":
            slug = doc["template"]["id"].split("/", 1)[1]
            source = REPO / "registry/packages/35.76" / f"{slug}.json"
            found.append((doc, json.loads(source.read_text(encoding="utf-8"))))
    return found


def _profile_of(package: dict[str, Any], template_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A connector profile from a package's local system (no base URL, no secret names), and what each
    region must add back to it."""
    local = copy.deepcopy(package["local_system"])
    regional: dict[str, Any] = {}
    if "base_url" in local:
        regional["base_url"] = local.pop("base_url")
    for key in SECRET_KEYS:
        if key in local:
            regional[key] = local.pop(key)
    auth = local.get("auth")
    if isinstance(auth, dict):
        names = {key: auth.pop(key) for key in list(auth) if key.endswith("_ref") or key == "token_url"}
        if names:
            regional["auth"] = names
    profile = {
        "schema_version": "1",
        "template": {
            "id": template_id,
            "version": "1.0.0",
            "kind": "connector_profile",
            "title": {"id": f"Aplikasi lokal {template_id}", "en": f"Local application {template_id}"},
        },
        "local_system": local,
    }
    return profile, regional


def generate_adopting(root: Path, count: int, variants: int) -> tuple[list[Path], int]:
    """Publish ``variants`` versions of each sample template and profile, then write ``count`` overlays;
    returns the overlay files and how many templates were published."""
    samples = _sample_templates()
    published = 0
    choices = []  # (template id, profile id, regional values, description)
    for template, package in samples:
        slug = template["template"]["id"].split("/", 1)[1]
        for k in range(variants):
            t = copy.deepcopy(template)
            t["template"]["id"] = f"nasional/{slug}-{k}"
            t["service"]["sla_working_days"] = 1 + (k % 14)
            profile, regional = _profile_of(package, f"nasional/{slug}-app-{k}")
            for doc in (t, profile):
                meta = doc["template"]
                source = root / "templates" / meta["id"].split("/")[0] / f"{meta['id'].split('/')[1]}.json"
                source.parent.mkdir(parents=True, exist_ok=True)
                source.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                result = publish(source, root)
                if result.outcome != "published":
                    raise SystemExit(f"template {meta['id']} refused: {[p.as_line() for p in result.problems]}")
                published += 1
            choices.append((t["template"]["id"], profile["template"]["id"], regional, package, t["service"]))
    regions = [r for r in region_table().all()]
    paths = []
    for i in range(count):
        region = regions[i % len(regions)]
        template_id, profile_id, regional, package, template_fee_free = choices[i % len(choices)]
        slug = f"{template_id.split('/', 1)[1]}-{i // len(regions)}"
        code = region.code.replace(".", "")
        local = json.loads(json.dumps(regional).replace("R3576_", f"R{code}_").replace("mojokertokota", f"r{code}"))
        overlay = {
            "schema_version": "1",
            "id": f"{region.code}/{slug}",
            "version": "1.0.0",
            "region": region.code,
            "extends": {
                "template": template_id,
                "version": "1.0.0",
                "profile": {"template": profile_id, "version": "1.0.0"},
            },
            "service": {
                "agency": f"Perangkat daerah {region.name}",
                "description": {
                    "id": f"Layanan di {region.name} sesuai standar nasional.",
                    "en": f"The service in {region.name}, to the national standard.",
                },
            },
            "local_system": local,
            "contact": {"unit": f"MPP {region.name}", "email": f"mpp@r{code}.go.id"},
        }
        if "fee" not in template_fee_free:
            overlay["service"]["fee"] = package["service"]["fee"]  # a paid service's fee is the region's Perda
        path = root / "packages" / region.code / f"{slug}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_compact(overlay), encoding="utf-8")
        paths.append(path)
    return paths, published


def _compact(overlay: dict[str, Any]) -> str:
    """An overlay as a team would write it: one line per top-level field, small objects inline."""
    lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in overlay.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.json"))


def _validate(folder: Path) -> tuple[float, int]:
    """Seconds of `mpphub validate FOLDER --format json`, and how many problems it printed."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(MPPHUB), "validate", str(folder), "--format", "json"], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    problems = json.loads(done.stdout or "[]") if done.returncode in (0, 1) else None
    if problems is None:
        raise SystemExit(f"mpphub validate failed ({done.returncode}): {done.stderr[-500:]}")
    return seconds, len(problems)


def main() -> int:
    """Generate both registries, validate each, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=100_000, help="packages per registry (default 100,000)")
    parser.add_argument(
        "--variants", type=int, default=12, help="variants per sample template (default 12: ~200 templates)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mpphub-bench-adopted-"))
    try:
        print(f"generating {args.packages} adopting packages ...", file=sys.stderr)
        adopting = tmp / "adopting"
        overlays, templates = generate_adopting(adopting, args.packages, args.variants)
        print(f"generating {args.packages} hand-written packages ...", file=sys.stderr)
        hand = tmp / "hand-written"
        hand.mkdir()
        generate_hand_written(hand, args.packages)
        print("validating the adopting registry ...", file=sys.stderr)
        adopted_s, adopted_problems = _validate(adopting / "packages")
        print("validating the hand-written registry ...", file=sys.stderr)
        hand_s, hand_problems = _validate(hand)
        lines = statistics.median(p.read_text(encoding="utf-8").count("\n") for p in overlays[:2000])
        result = {
            "packages": args.packages,
            "templates": templates,
            "adopted_seconds": round(adopted_s, 2),
            "hand_written_seconds": round(hand_s, 2),
            "adopted_vs_hand_written": round(adopted_s / hand_s, 3),
            "adopted_packages_per_s": round(args.packages / adopted_s, 1),
            "problems": {"adopted": adopted_problems, "hand_written": hand_problems},
            "adopted_bytes_on_disk": _size(adopting),
            "hand_written_bytes_on_disk": _size(hand),
            "median_overlay_lines": lines,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"templates published:         {result['templates']}")
    print(f"adopting registry:           {args.packages} packages in {result['adopted_seconds']} s")
    print(f"hand-written (baseline):     {args.packages} packages in {result['hand_written_seconds']} s")
    print(f"adopted / hand-written time: {result['adopted_vs_hand_written']}x (target <= 1.0)")
    mib = 1024 * 1024
    print(
        f"size on disk:                {result['adopted_bytes_on_disk'] / mib:.1f} MiB adopting (templates included)"
        f" vs {result['hand_written_bytes_on_disk'] / mib:.1f} MiB hand-written"
    )
    print(f"median overlay:              {lines:g} lines")
    print(f"problems:                    {result['problems']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
