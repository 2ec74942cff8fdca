"""The region exists in the shipped Kemendagri table and agrees with the id, folder and file name."""

from __future__ import annotations

from collections.abc import Iterator

from registry.regions import DATASET_VERSION, REGION_CODE
from registry.rules.context import Finding, PackageContext


def check_region(ctx: PackageContext) -> Iterator[Finding]:
    """Region known; id starts with it; a file in a region folder sits in its own region's folder."""
    region = ctx.doc.get("region")
    if not isinstance(region, str) or not REGION_CODE.match(region):
        return  # the schema reports the shape
    if region not in ctx.regions:
        near = ctx.regions.suggest(region)
        hint = f"; did you mean {near.code} ({near.name})?" if near else ""
        yield Finding(("region",), f"region '{region}' is not a Kemendagri code in {DATASET_VERSION}{hint}")
    package_id = ctx.doc.get("id")
    slug = None
    if isinstance(package_id, str) and "/" in package_id:
        id_region, _, slug = package_id.partition("/")
        if id_region != region:
            yield Finding(("id",), f"id starts with region '{id_region}' but the package's region is '{region}'")
    folder = ctx.file.parent.name
    if REGION_CODE.match(folder):
        if folder != region:
            yield Finding(
                ("region",),
                f"the file is in folder '{folder}/' but its region is '{region}': "
                f"move it to {region}/ or fix the region",
            )
        if slug and ctx.file.stem != slug:
            yield Finding(("id",), f"file name '{ctx.file.name}' does not match slug '{slug}': name it {slug}.json")
