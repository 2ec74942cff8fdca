"""The Kemendagri region table (provinces and regencies/cities) shipped with the hub.

Data: idn-area-data 4.0.1 under the ODbL; see ``registry/data/idn-area-data/README.md``.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATASET_VERSION = "idn-area-data 4.0.1"
ATTRIBUTION = "Indonesian area data from idn-area-data 4.0.1, ODbL"
_DATA_DIR = Path(__file__).parent / "data" / "idn-area-data"

REGION_CODE = re.compile(r"^[0-9]{2}(\.[0-9]{2})?$")


@dataclass(frozen=True)
class Region:
    """One Pemda: a province (``35``) or a regency/city (``35.76``)."""

    code: str
    name: str
    province_code: str

    @property
    def is_province(self) -> bool:
        """True for a province, False for a regency or city."""
        return self.code == self.province_code


class RegionTable:
    """Lookup of region codes, with suggestions for near misses."""

    def __init__(self, regions: dict[str, Region]) -> None:
        self._regions = regions

    def __contains__(self, code: object) -> bool:
        return code in self._regions

    def __len__(self) -> int:
        return len(self._regions)

    def get(self, code: str) -> Region | None:
        """The region with this code, or None."""
        return self._regions.get(code)

    def all(self) -> list[Region]:
        """Every region, provinces first, in code order."""
        return sorted(self._regions.values(), key=lambda r: (not r.is_province, r.code))

    def suggest(self, code: str) -> Region | None:
        """The closest known code to an unknown one (for 'did you mean')."""
        match = difflib.get_close_matches(code, self._regions.keys(), n=1, cutoff=0.6)
        return self._regions[match[0]] if match else None


@lru_cache(maxsize=1)
def region_table() -> RegionTable:
    """Load the shipped table once per process (552 rows: cheap)."""
    regions: dict[str, Region] = {}
    with (_DATA_DIR / "provinces.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            regions[row["code"]] = Region(row["code"], row["name"], row["code"])
    with (_DATA_DIR / "regencies.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            regions[row["code"]] = Region(row["code"], row["name"], row["province_code"])
    return RegionTable(regions)
