"""What a rule sees and what it returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from registry.problems import PathPart
from registry.regions import RegionTable


class PackageContext(NamedTuple):
    """One package document with where it came from."""

    file: Path
    doc: dict[str, Any]
    regions: RegionTable


class Finding(NamedTuple):
    """A rule's complaint: where in the document, and what to fix."""

    path: tuple[PathPart, ...]
    message: str
