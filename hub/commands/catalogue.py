"""List the services of the registry index: the catalogue the hub pushes to the national layer.

Reads registry/index.json only (fast at 100,000 packages). Filter by region (a province code also
lists its regencies and cities), category or a word in the name.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub catalogue``."""
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )
    parser.add_argument("--region", help="only this region (a province code includes its regencies/cities)")
    parser.add_argument("--category", help="only this category")
    parser.add_argument("--search", metavar="TEXT", help="only services whose name contains TEXT")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    """Print the catalogue."""
    from hub.output import plural
    from registry.catalogue import catalogue_rows
    from registry.index import load_index
    from registry.regions import region_table

    try:
        index = load_index(args.registry)
    except (OSError, ValueError) as exc:
        print(f"mpphub catalogue: cannot read {args.registry}/index.json: {exc}", file=sys.stderr)
        return 2
    rows = catalogue_rows(index, region=args.region, category=args.category, text=args.search)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    regions = region_table()
    current_region = None
    for row in rows:
        if row["region"] != current_region:
            current_region = row["region"]
            region = regions.get(current_region)
            print(f"\n{current_region}  {region.name if region else '(unknown region)'}")
        fee = "gratis" if not row["fee_idr"] else f"Rp{row['fee_idr']:,}".replace(",", ".")
        print(
            f"  {row['id']:<44} v{row['version']:<8} {row['category']:<18} {row['kind']:<4} "
            f"{row['sla_working_days']:>3} hari  {fee:<12} {row['name']['id']}"
        )
    regions_count = len({r["region"] for r in rows})
    print(f"\n{plural(len(rows), 'service')} in {plural(regions_count, 'region')}")
    return 0
