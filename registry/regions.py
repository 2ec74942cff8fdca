"""The Kemendagri region table (provinces and regencies/cities) shipped with the hub.

Data: idn-area-data 4.0.1 under the ODbL; see ``registry/data/idn-area-data/README.md``. The CSV files
are the source; ``registry/regions_data.py`` is the same table as a Python literal, generated from them
(``python -m registry.regions``) because importing it is ~10x cheaper than parsing CSV at every start
of ``mpphub validate``. ``tests/registry/test_regions.py`` fails when the two drift apart.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DATASET_VERSION = "idn-area-data 4.0.1"
ATTRIBUTION = "Indonesian area data from idn-area-data 4.0.1, ODbL"
_DATA_DIR = Path(__file__).parent / "data" / "idn-area-data"
COMPACT_FILE = Path(__file__).parent / "regions_data.py"

REGION_CODE = re.compile(r"^[0-9]{2}(\.[0-9]{2})?$")


class Region:
    """One Pemda: a province (``35``) or a regency/city (``35.76``).

    A plain class: a NamedTuple or dataclass class costs ~0.3 ms or more to create at each start-up."""

    __slots__ = ("code", "name", "province_code")

    def __init__(self, code: str, name: str, province_code: str) -> None:
        self.code = code
        self.name = name
        self.province_code = province_code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Region) and (self.code, self.name, self.province_code) == (
            other.code,
            other.name,
            other.province_code,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.name, self.province_code))

    def __repr__(self) -> str:
        return f"Region(code={self.code!r}, name={self.name!r}, province_code={self.province_code!r})"

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
        import difflib  # only an unknown code needs it: kept off the start-up path

        match = difflib.get_close_matches(code, self._regions.keys(), n=1, cutoff=0.6)
        return self._regions[match[0]] if match else None


@lru_cache(maxsize=1)
def region_table() -> RegionTable:
    """The shipped table (552 rows), from its generated Python form; once per process."""
    from registry.regions_data import REGIONS

    return RegionTable({code: Region(code, name, province) for code, (name, province) in REGIONS.items()})


def regions_from_csv() -> dict[str, tuple[str, str]]:
    """The table read from the source CSV files: code -> (name, province code)."""
    import csv

    regions: dict[str, tuple[str, str]] = {}
    with (_DATA_DIR / "provinces.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            regions[row["code"]] = (row["name"], row["code"])
    with (_DATA_DIR / "regencies.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            regions[row["code"]] = (row["name"], row["province_code"])
    return regions


def compact_source() -> str:
    """The text of ``registry/regions_data.py``, generated from the CSV files."""
    lines = [
        f'"""The Kemendagri region table ({DATASET_VERSION}, ODbL) as a Python literal: code -> (name, province).',
        "",
        "GENERATED from registry/data/idn-area-data/*.csv by `python -m registry.regions`: do not edit.",
        '"""',
        "",
        "REGIONS: dict[str, tuple[str, str]] = {",
        *(
            f"    {_str(code)}: ({_str(name)}, {_str(province)}),"
            for code, (name, province) in regions_from_csv().items()
        ),
        "}",
        "",
    ]
    return "\n".join(lines)


def _str(text: str) -> str:
    import json  # a JSON string is also a Python string literal, written the way ruff format keeps it

    return json.dumps(text, ensure_ascii=False)


if __name__ == "__main__":
    COMPACT_FILE.write_text(compact_source(), encoding="utf-8")
    print(f"wrote {COMPACT_FILE}")
